"""The mode table: every mode has its config rules and its object, and only the enum/rules file and the table name
individual modes (issue 24: a mode is one declared object; adding one is one file plus one table line)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import litellm_fusion
from litellm_fusion.config import parse_fusion_params
from litellm_fusion.config.fusion_modes import RULES, FusionMode
from litellm_fusion.engine.modes import MODES, Mode, mode_of
from litellm_fusion.engine.modes.table import mode_named

PACKAGE = Path(litellm_fusion.__file__).parent
NAMING_FILES = {"config/fusion_modes.py", "engine/modes/table.py"}
MEMBER = re.compile(r"FusionMode\.[A-Z_]+\b")


def test_every_mode_has_rules_and_an_object() -> None:
    assert set(RULES) == set(FusionMode) == set(MODES)
    assert all(isinstance(mode, Mode) for mode in MODES.values())
    assert all(mode_named(member.value) is MODES[member] for member in FusionMode)
    assert mode_named("no-such-mode") is None


def test_only_the_enum_and_the_table_name_modes() -> None:
    naming = {
        str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py") if MEMBER.search(path.read_text("utf-8"))
    }
    assert naming <= NAMING_FILES, naming - NAMING_FILES


@pytest.mark.parametrize("member", list(FusionMode))
def test_capabilities_follow_the_rules(member: FusionMode) -> None:
    mode, rules = MODES[member], RULES[member]
    assert mode.tiered == rules.tiered
    if not mode.tiered:  # every panel mode has a judge prompt
        assert mode.judge_prompt([{"role": "user", "content": "q"}], [], 1, False)


def test_a_config_answers_with_its_mode() -> None:
    cfg = parse_fusion_params("fusion/x", {"model": "fusion/debate", "panel": ["a", "b"], "judge": "j"})
    assert mode_of(cfg) is MODES[cfg.mode] and cfg.rounds == cfg.rules.default_rounds
