"""The mode table and the request plan: every mode has its config rules and its object, and only the enum/rules file and the table name
individual modes (issue 24: a mode is one declared object; adding one is one file plus one table line)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

import litellm_fusion
from litellm_fusion.config import parse_fusion_params
from litellm_fusion.config.fusion_modes import RULES, FusionMode
from litellm_fusion.engine.cost_cap import fit_panel
from litellm_fusion.engine.modes import MODES, Mode, mode_of
from litellm_fusion.engine.modes.table import mode_named
from litellm_fusion.engine.plan import RequestPlan
from litellm_fusion.engine.runner import collect
from tests.support.scripted_caller import ScriptedCaller

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


def _plan_run(plan: RequestPlan, caller: ScriptedCaller):
    engine = plan.engine(caller, None)
    return asyncio.run(collect(plan.events(engine, [{"role": "user", "content": "q?"}], {}, False)))


def test_a_plan_runs_what_the_cost_cap_left() -> None:
    """The plan's run config is the panel the cap's shrink left; the engine calls only those members."""
    config = parse_fusion_params(
        "fusion/b",
        {"model": "fusion/best-of", "panel": ["a", "b", "c"], "judge": "j", "max_cost_per_request": 0.0145}
        | {"cost_cap_action": "shrink"},
    )
    prices = {"a": (1e-6, 2e-6), "b": (3e-6, 4e-6), "c": (5e-7, 1.5e-6), "j": (1e-5, 3e-5)}
    plan = RequestPlan(config, fit_panel(config, 10, 100, prices.__getitem__))
    caller = ScriptedCaller({"a": "A", "c": "C", "j": json.dumps({"winner": 2, "reason": "best"})})
    result = _plan_run(plan, caller)
    assert plan.run_config.panel == ["a", "c"] and plan.config.panel == ["a", "b", "c"]
    assert sorted(c.model for c in result.calls if c.role == "member") == ["a", "c"] and result.answer == "C"


def test_a_plan_with_a_single_model_calls_it_alone_and_one_with_skips_skips() -> None:
    config = parse_fusion_params("fusion/m", {"model": "fusion/merge", "panel": ["a", "b"], "judge": "j"})
    caller = ScriptedCaller({"a": "A", "b": "B", "j": "J", "s": "S"})
    result = _plan_run(RequestPlan(config, single="s", reason="gate: cheap"), caller)
    assert result.answer == "S" and [c.model for c in result.calls] == ["s"] and result.judge.reason == "gate: cheap"
    cascade = parse_fusion_params("fusion/c", {"model": "fusion/cascade", "tiers": [["a", "b"], ["s"]]})
    result = _plan_run(RequestPlan(cascade, skip={1: "classifier"}), caller)
    assert result.answer == "S" and result.cascade.tiers[0].code == "skipped"
