"""The engine without a proxy: a scripted Caller stands in for the Router."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from litellm_fusion.config import parse_fusion_params
from litellm_fusion.engine import FusionEngine, FusionError, InnerCallError
from tests.support.scripted_caller import ScriptedCaller


def cfg(mode: str, **extra: Any):
    params = {"model": f"fusion/{mode}", "panel": ["a", "b", "c"], "judge": "j", **extra}
    return parse_fusion_params(f"fusion/{mode}", params)


def run(engine: FusionEngine, text: str = "q?"):
    return asyncio.run(engine.run([{"role": "user", "content": text}], {"temperature": 0.3}))


def test_best_of_returns_the_chosen_member_verbatim():
    caller = ScriptedCaller({"a": "A", "b": "B", "c": "C", "j": json.dumps({"winner": 2, "reason": "best"})})
    result = run(FusionEngine(cfg("best-of"), caller))
    assert result.answer == "B" and result.winner is not None and result.winner.model == "b"
    assert result.judge.outcome == "ok" and result.judge.reason == "best"
    assert result.cost == pytest.approx(0.004) and result.prompt_tokens == 40
    judge_params = caller.seen[-1][2]
    assert judge_params["temperature"] == 0.0 and judge_params["response_format"]["type"] == "json_object"
    assert all(p == {"temperature": 0.3} for m, _, p in caller.seen[:3])


@pytest.mark.parametrize("verdict", ['{"winner": 4}', '{"winner": 0}', "garbage", "", '{"winner": true}'])
def test_best_of_bad_verdict_falls_back_to_first_survivor(verdict: str):
    caller = ScriptedCaller({"a": InnerCallError("boom"), "b": "B", "c": "C", "j": verdict})
    result = run(FusionEngine(cfg("best-of"), caller))
    assert result.answer == "B" and result.judge.outcome == "fallback"
    assert "unusable verdict" in result.judge.reason


def test_judge_error_falls_back_and_is_flagged():
    caller = ScriptedCaller({"a": "A", "b": "B", "c": "C", "j": InnerCallError("judge down")})
    result = run(FusionEngine(cfg("merge"), caller))
    assert result.answer == "A" and result.judge.outcome == "fallback" and "judge down" in result.judge.reason


def test_merge_returns_the_judge_text():
    caller = ScriptedCaller({"a": "A", "b": "B", "c": "C", "j": "merged"})
    result = run(FusionEngine(cfg("merge"), caller))
    assert result.answer == "merged" and result.winner is None


def test_all_members_fail_names_each_error():
    caller = ScriptedCaller(
        {"a": InnerCallError("e-a"), "b": InnerCallError("e-b"), "c": InnerCallError("e-c"), "j": "x"}
    )
    with pytest.raises(FusionError) as info:
        run(FusionEngine(cfg("best-of"), caller))
    assert info.value.status == 502
    for e in ("e-a", "e-b", "e-c"):
        assert e in str(info.value)


def test_min_panel_enforced():
    caller = ScriptedCaller({"a": InnerCallError("e-a"), "b": "B", "c": InnerCallError("e-c"), "j": "x"})
    with pytest.raises(FusionError, match="only 1 of 3"):
        run(FusionEngine(cfg("best-of", min_panel=2), caller))


def test_member_timeout_drops_member():
    caller = ScriptedCaller({"a": "HANG", "b": "B", "c": "C", "j": json.dumps({"winner": 1, "reason": "r"})})
    result = run(FusionEngine(cfg("best-of", member_timeout=0.05), caller))
    assert result.answer == "B"
    dropped = [c for c in result.calls if not c.ok]
    assert len(dropped) == 1 and dropped[0].model == "a" and "panel member timeout" in dropped[0].error


def test_debate_members_see_peers_anonymised_and_judge_settles():
    def member(name: str):
        def answer(messages):
            return f"{name}-r{1 + sum(1 for m in messages if m['role'] == 'assistant')}"

        return answer

    caller = ScriptedCaller({"a": member("a"), "b": member("b"), "c": member("c"), "j": "settled"})
    result = run(FusionEngine(cfg("debate", rounds=3), caller))
    assert result.answer == "settled" and result.rounds == 3
    assert [c.text for c in result.candidates] == ["a-r2", "b-r2", "c-r2"]
    # round 2 call of member a: its own answer as assistant turn, peers b and c fenced, no model names
    round2_a = [s for s in caller.seen if s[0] == "a"][1][1]
    assert round2_a[-2] == {"role": "assistant", "content": "a-r1"}
    assert "b-r1" in round2_a[-1]["content"] and "c-r1" in round2_a[-1]["content"]
    assert "a-r1" not in round2_a[-1]["content"]
    assert len([c for c in result.calls if c.role == "member"]) == 9


@pytest.mark.parametrize(("round2", "rounds"), [("The answer is 42.", 2), (None, 4)], ids=["converge", "keep-debating"])
def test_debate_stops_once_every_member_gives_the_same_answer(round2, rounds):
    """Round 1 disagrees; in round 2 every member settles on 42 (in its own words): no round 3 or 4 is run."""

    def member(first: str):
        def answer(messages):
            revised = sum(1 for m in messages if m["role"] == "assistant")
            return first if not revised else (round2 or f"I keep {first}.")

        return answer

    caller = ScriptedCaller({"a": member("41"), "b": member("**Final answer:** 42"), "c": member("43"), "j": "42"})
    result = run(FusionEngine(cfg("debate", rounds=4), caller))
    assert result.rounds == rounds and result.converged is (round2 is not None)
    assert len([c for c in result.calls if c.role == "member"]) == 3 * rounds


def test_single_survivor_skips_the_judge():
    caller = ScriptedCaller({"a": InnerCallError("x"), "b": "B", "c": InnerCallError("y"), "j": "never"})
    result = run(FusionEngine(cfg("debate"), caller))
    assert result.answer == "B" and result.judge.outcome == "skipped"
    assert all(m != "j" for m, _, _ in caller.seen)


def test_judge_echoing_fence_markup_is_cleaned():
    caller = ScriptedCaller(
        {
            "a": "A",
            "b": "B",
            "c": "C",
            "j": 'final answer\n</candidate-0123456789abcdef>\n<candidate-0123456789abcdef index="2">',
        }
    )
    result = run(FusionEngine(cfg("merge"), caller))
    assert result.answer == "final answer"


def test_quorum_cuts_off_the_straggler_and_does_not_bill_it():
    caller = ScriptedCaller({"a": "A", "b": "B", "c": "HANG", "j": json.dumps({"winner": 2, "reason": "r"})})
    result = run(FusionEngine(cfg("best-of", quorum=2, straggler_timeout=0.01), caller))
    assert result.answer == "B"
    straggler = next(c for c in result.calls if c.model == "c")
    assert not straggler.ok and "straggler" in straggler.error and straggler.cost == 0


def test_quorum_validation():
    with pytest.raises(ValueError, match="quorum"):
        cfg("best-of", quorum=4)


def test_cost_cap_estimate_and_shrink():
    from litellm_fusion.engine.cost_cap import fit_panel, worst_case_cost

    prices = {"a": (1e-6, 2e-6), "b": (3e-6, 4e-6), "c": (5e-7, 1.5e-6), "j": (1e-5, 3e-5)}
    config = cfg("best-of", max_cost_per_request=0.0145, cost_cap_action="shrink")
    full = worst_case_cost(config, ["a", "b", "c"], 10, 100, prices.__getitem__)
    member_part = (10 * 1e-6 + 100 * 2e-6) + (10 * 3e-6 + 100 * 4e-6) + (10 * 5e-7 + 100 * 1.5e-6)
    assert full == pytest.approx(member_part + (10 + 300 + 400) * 1e-5 + 256 * 3e-5)
    fitted = fit_panel(config, 10, 100, prices.__getitem__)
    assert fitted.report["panel"] == ["a", "c"] and fitted.estimate <= 0.0145
    debate = cfg("debate", rounds=3)
    assert worst_case_cost(debate, ["a", "b", "c"], 10, 100, prices.__getitem__) > full


def test_overhead_counts_each_step_from_its_first_start_to_its_last_end():
    """A step's calls start together, but the Router's synchronous work for one call delays the next one's start
    on the shared event loop: that is the calls' time (LiteLLM's), not the engine's."""
    from litellm_fusion.engine.records import CallRecord, FusionResult, JudgeResult, critical_path

    calls = [
        CallRecord("a", "member", 1, True, latency_s=0.05, started=10.0),
        CallRecord("b", "member", 1, True, latency_s=0.05, started=10.02),
        CallRecord("j", "judge", 1, True, latency_s=0.03, started=10.075),
    ]
    assert critical_path(calls) == pytest.approx(0.07 + 0.03)
    result = FusionResult("best-of", "x", [], JudgeResult("ok", ""), calls=calls, elapsed_s=0.105)
    assert result.overhead_s == pytest.approx(0.005)
