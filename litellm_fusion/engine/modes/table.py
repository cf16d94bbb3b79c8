"""The mode table: each FusionMode's object (RouteLLM's ROUTER_CLS is the model). Adding a mode: its member and
rules in config/fusion_modes.py, its file in this package, and one line here."""

from __future__ import annotations

from ...config.fusion import FusionModelConfig
from ...config.fusion_modes import FusionMode
from .base import Mode
from .best_of import BestOf
from .cascade import Cascade
from .debate import Debate
from .merge import Merge

MODES: dict[FusionMode, Mode] = {
    FusionMode.BEST_OF: BestOf(),
    FusionMode.MERGE: Merge(),
    FusionMode.DEBATE: Debate(),
    FusionMode.CASCADE: Cascade(),
}


def mode_of(config: FusionModelConfig) -> Mode:
    return MODES[config.mode]


def mode_named(value: str) -> Mode | None:
    """The mode whose FusionMode value is `value` (None: no such mode), e.g. from a logged `fusion` entry."""
    return next((mode for member, mode in MODES.items() if member.value == value), None)
