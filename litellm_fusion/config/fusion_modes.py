"""The fusion modes, and the configuration rules of each, as data beside the enum.

The config model (config/fusion.py) validates a fusion model by reading these rules, never by naming a mode;
how a mode runs, prices and reports itself is its object in `engine/modes/` (the table in engine/modes/table.py).
Adding a mode: a member here, its rules line below, one file in engine/modes/ and one line in its table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any


class FusionMode(str, Enum):
    BEST_OF = "best-of"
    MERGE = "merge"
    DEBATE = "debate"
    CASCADE = "cascade"


@dataclass(frozen=True)
class ModeRules:
    """What a mode's options must look like."""

    tiered: bool = False  # tiers cheapest first (TIER_KEYS apply) instead of a panel and a judge (PANEL_KEYS)
    rounds: bool = False  # accepts rounds > 1
    default_rounds: int = 1  # rounds when the config does not set them
    agreement_shortcut: bool = False  # the default of agreement_shortcut (skip the judge when the members agree)


RULES: dict[FusionMode, ModeRules] = {
    FusionMode.BEST_OF: ModeRules(agreement_shortcut=True),
    FusionMode.MERGE: ModeRules(),
    FusionMode.DEBATE: ModeRules(rounds=True, default_rounds=2),
    FusionMode.CASCADE: ModeRules(tiered=True),
}

TIER_KEYS = ("tiers", "accept", "verifier", "skip_tiers", "audit", "learn")  # only where the rules say tiered
PANEL_KEYS = ("panel", "judge", "gate", "agreement_shortcut")  # never where the rules say tiered


def rules_named(mode: Any) -> ModeRules | None:
    """The rules of a mode given as a member or its value (None: not a mode)."""
    value = getattr(mode, "value", mode)
    return next((r for m, r in RULES.items() if m.value == value), None) if isinstance(value, str) else None


def modes_where(test: Callable[[ModeRules], bool]) -> str:
    """The names of the modes whose rules pass `test`, for error messages (e.g. `debate`)."""
    return " or ".join(m.value for m, r in RULES.items() if test(r))
