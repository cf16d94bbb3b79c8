"""Property tests for every reader of model output this tier owns (the answer extraction of engine/answers has its
own, issue 20): the judge's verdict, the verifier's rating, tool-call arguments, the prompts that quote candidates and
what the judge cache stores. On any input each returns or raises only its documented error, never RecursionError,
TypeError or anything else, and reads 100 KB of hostile input in under 50 ms (tests/support/hostile_inputs.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from litellm_fusion.engine import prompts
from litellm_fusion.engine.judge_cache import decode, encode, encode_rating
from litellm_fusion.engine.records import Candidate, JudgeResult, ToolCall, invalid_tool_call
from litellm_fusion.engine.verdict import Score, VerdictError, parse_score, parse_verdict
from tests.support.hostile_inputs import (
    PROPERTY,
    SIZE,
    TIMED,
    big_texts,
    conversations,
    deep_stack,
    fast,
    only,
    texts,
)

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")


# ---- the judge's verdict and the verifier's rating (engine/verdict.py) ----
@PROPERTY
@given(texts, st.integers(1, 6))
def test_any_judge_output_is_a_verdict_in_range_or_a_verdict_error(text, n):
    verdict = only(VerdictError, lambda: parse_verdict(text, n))
    assert verdict is None or 0 <= verdict.winner < n


@PROPERTY
@given(texts)
def test_any_verifier_output_is_a_rating_from_0_to_10_or_a_verdict_error(text):
    score = only(VerdictError, lambda: parse_score(text))
    assert score is None or 0 <= score.score <= 10


@TIMED
@given(big_texts, st.booleans())
def test_100kb_of_judge_or_verifier_output_is_read_in_linear_time(text, with_verdict):
    text = text + '{"winner": 1, "score": 3}' if with_verdict else text
    fast(lambda: parse_verdict(text, 3), VerdictError)
    fast(lambda: parse_score(text), VerdictError)


@pytest.mark.parametrize(
    "text",
    ["{" * SIZE, '{"answer":' * 10_000, "[" * SIZE, '"' + '\\"' * 50_000, '{"a":"' * 16_000, '{"a":[' * 16_000],
    ids=["braces", "deep-objects", "deep-arrays", "escaped-quotes", "open-strings", "mixed"],
)
def test_the_issues_hostile_verdicts_are_refused_quickly(text):
    fast(lambda: parse_verdict(text, 3), VerdictError)
    with pytest.raises(VerdictError):
        deep_stack(lambda: parse_verdict(text, 3))


def test_a_verdict_after_100kb_of_noise_is_found_and_an_echoed_one_is_still_ambiguous():
    for noise in ("{" * SIZE, '"' * SIZE, "x}" * 50_000, "]" * SIZE, "Let me think. " * 7_000):
        assert deep_stack(lambda n=noise: parse_verdict(n + ' {"winner": 2, "reason": "r"}', 3)).winner == 1
        with pytest.raises(VerdictError, match="2 verdicts"):
            deep_stack(lambda n=noise: parse_verdict('{"winner": 1}' + n + '{"winner": 2}', 3))


def test_noise_too_irregular_to_read_is_no_verdict_rather_than_slow():
    noise = '{"a": "' * 15_000  # half of its braces inside strings: a scan from each would be quadratic
    verdict = only(VerdictError, lambda: parse_verdict(noise + ' {"winner": 2, "reason": "r"}', 3))
    assert verdict is None or verdict.winner == 1
    fast(lambda: parse_verdict(noise + ' {"winner": 2, "reason": "r"}', 3), VerdictError)


# ---- tool-call arguments (engine/records.py) and how candidates are rendered into prompts (engine/prompts.py) ----
@PROPERTY
@given(texts)
def test_any_tool_arguments_parse_or_raise_value_error_and_a_call_is_judged_usable_or_not(arguments):
    call = ToolCall("c1", "lookup", arguments)
    only(ValueError, call.parsed_arguments)
    reason = deep_stack(lambda: invalid_tool_call((call,)))
    assert reason is None or isinstance(reason, str)


@TIMED
@given(big_texts)
def test_100kb_tool_arguments_are_read_in_linear_time(arguments):
    call = ToolCall("c1", "lookup", arguments)
    fast(call.parsed_arguments, ValueError)
    fast(lambda: invalid_tool_call((call,)))


def _encodable(messages: list[dict[str, Any]]) -> None:
    json.dumps(messages, ensure_ascii=False).encode("utf-8")  # what the HTTP client does to a request body


candidate_lists = st.lists(
    st.builds(
        lambda i, text, args: Candidate(i, f"m{i}", text, tool_calls=(ToolCall("t", "f", args),) if args else ()),
        st.integers(0, 5),
        texts,
        st.one_of(st.none(), texts),
    ),
    min_size=1,
    max_size=3,
)


@PROPERTY
@given(conversations, candidate_lists)
def test_every_prompt_that_quotes_candidates_is_built_and_encodable(messages, candidates):
    for build in (
        lambda: prompts.best_of_prompt(messages, candidates),
        lambda: prompts.merge_prompt(messages, candidates),
        lambda: prompts.debate_judge_prompt(messages, candidates, 2),
        lambda: prompts.debate_revision_messages(messages, candidates[0], candidates[1:]),
        lambda: prompts.verifier_prompt(messages, candidates[0]),
    ):
        built = deep_stack(build)
        _encodable(built[-2:])  # what fusion adds; the client's own messages reach it already encodable


def test_a_judge_decision_with_a_lone_surrogate_is_stored_encodable():
    winner = JudgeResult("ok", "x \ud800", winner=1)
    written = JudgeResult("ok", "r", text="merged \ud800", tool_calls=(ToolCall("c", "f", '{"a": "\ud800"}'),))
    for stored in (encode("k", winner, "stop"), encode("k", written, "stop"), encode_rating("k", Score(7, "\udfff"))):
        stored.encode("utf-8")  # what the Redis client does; a failure would count as Redis being down
    decoded = decode(encode("k", written, "stop"), "k", 2, writes_text=True)
    assert decoded is not None and decoded.result.text == "merged \ud800"


@TIMED
@given(big_texts)
def test_100kb_candidates_are_rendered_in_linear_time(text):
    half = text[: SIZE // 2]
    cands = [Candidate(0, "a", half, tool_calls=(ToolCall("t", "f", half),)), Candidate(1, "b", "B")]
    fast(lambda: prompts.best_of_prompt([{"role": "user", "content": "q"}], cands))
