"""The agreement rule used by agreement_shortcut."""

from __future__ import annotations

import asyncio
import json

import pytest

from litellm_fusion.config import parse_fusion_params
from litellm_fusion.engine import FusionEngine
from litellm_fusion.engine.answers import agreement
from litellm_fusion.engine.records import Candidate
from tests.support.scripted_caller import ScriptedCaller


def agree(*texts: str) -> str | None:
    return asyncio.run(agreement([Candidate(i, f"m{i}", t) for i, t in enumerate(texts)]))


@pytest.mark.parametrize(
    "texts",
    [
        ("B", "(b)", "The answer is B."),
        ("Answer: C", "c)"),
        ("Paris", "Paris.", "  Paris "),
        ("1,000", "1000", "The total is 1000"),
        ("Step 1: add. Step 2: multiply. The answer is 42.", "First we simplify ... #### 42", "so \\boxed{42}"),
    ],
)
def test_agreeing_answers(texts):
    assert agree(*texts) is not None


@pytest.mark.parametrize(
    "texts",
    [
        ("B", "C"),
        ("B", "Paris"),
        ("Paris", "London"),
        ("Paris", "paris"),  # issue 20: case is part of a text answer
        ("41", "42"),
        ("The answer is 41.", "The answer is 42."),
        ("A long essay " * 30, "A different long essay about something else entirely " * 10),
        ("only one",),
        ("", ""),
    ],
)
def test_disagreeing_answers(texts):
    assert agree(*texts) is None


def test_long_near_identical_answers_agree():
    text = "The mitochondria is the powerhouse of the cell and produces ATP through respiration. " * 8
    assert agree(text, text + " Indeed.") is not None


def test_shortcut_skips_the_judge():
    cfg = parse_fusion_params(
        "fusion/best-of",
        {"model": "fusion/best-of", "panel": ["a", "b", "c"], "judge": "j", "agreement_shortcut": True},
    )
    caller = ScriptedCaller(
        {"a": "The answer is B.", "b": "B", "c": "(b)", "j": json.dumps({"winner": 1, "reason": "r"})}
    )
    result = asyncio.run(FusionEngine(cfg, caller).run([{"role": "user", "content": "q"}], {}))
    assert result.judge.outcome == "skipped" and "members agree" in result.judge.reason
    assert result.answer == "The answer is B." and "j" not in [m for m, _, _ in caller.seen]


def test_a_long_reply_is_read_off_the_event_loop_and_a_short_one_in_place(monkeypatch):
    import threading

    from litellm_fusion.engine.answers import extract, read_reply, relation

    threads: list[int] = []

    def recording(text, contract=None):
        threads.append(threading.get_ident())
        return extract(text, contract)

    monkeypatch.setattr(relation, "extract", recording)
    loop_thread = threading.get_ident()
    long_reply = "Reasoning. " * 20_000 + "The answer is 42."
    found = asyncio.run(read_reply(Candidate(0, "m", long_reply)))
    assert (found.text, found.source) == ("42", "statement") and threads[-1] != loop_thread
    found = asyncio.run(read_reply(Candidate(0, "m", "The answer is 42.")))
    assert found.text == "42" and threads[-1] == loop_thread
