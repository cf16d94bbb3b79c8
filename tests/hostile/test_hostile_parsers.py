"""Property tests for every reader of model output or request fields on the request path that this tier owns (the
answer extraction of engine/answers has its own, issue 20): on any input it returns or raises only its documented
error, never RecursionError, TypeError or anything else; and 100 KB of hostile input takes under 50 ms
(time.perf_counter, best of 3: a property bound of linear cost; a quadratic or exponential reader takes seconds).

Every call runs 250 frames deep, about where the proxy's pre-call hook and the handler run, so a reader that recurses
on its input meets the recursion limit here as it would in the proxy.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from litellm_fusion.adapter.request import RequestError, parse_request
from litellm_fusion.adapter.routing_hook import (
    CallerRoutingError,
    RoutingHook,
    caller_routing,
    estimate_prompt_tokens,
)
from litellm_fusion.config import parse_fusion_params
from litellm_fusion.config.routing import GroupRouting
from litellm_fusion.engine import prompts
from litellm_fusion.engine.judge_cache import decode, encode, encode_rating
from litellm_fusion.engine.types import Candidate, JudgeResult, ToolCall, invalid_tool_call
from litellm_fusion.engine.verdict import Score, VerdictError, parse_score, parse_verdict
from litellm_fusion.routing.text import request_text, responses_messages

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

BOUND_S = 0.050
SIZE = 100_000
STACK = 250

FRAGMENTS = [
    "{",
    "}",
    "[",
    "]",
    '"',
    "\\",
    '\\"',
    ":",
    ",",
    " ",
    "\n",
    '{"answer":',
    '{"winner":',
    '{"winner": 1',
    '{"winner": 2, "reason": "r"}',
    '{"score": 7, "reason": "r"}',
    '"winner"',
    "null",
    "NaN",
    "1e999",
    "-",
    "0" * 40,
    "\ud800",
    "\udfff",
    "\\ud800",
    "\\u",
    "```json\n",
    "```",
    "é",
    "\x00",
]
fragment = st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12))
texts = st.one_of(
    st.text(max_size=300),
    st.lists(fragment, max_size=60).map("".join),
    st.builds(
        lambda opener, closer, n, middle: opener * n + middle + closer * n,
        st.sampled_from(["{", "[", '{"a":', '{"winner":', '["', '{"a":[']),
        st.sampled_from(["}", "]", "", '"}', "]}"]),
        st.integers(0, 3000),
        st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)),
    ),
)
# 100 KB of a few fragments repeated: the shape of every hostile answer the issue lists (and more)
big_texts = st.lists(fragment, min_size=1, max_size=5).map(lambda parts: _repeat("".join(parts) or "{", SIZE))


def _repeat(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def nest(value: Any, depth: int, how: str) -> Any:
    for _ in range(depth):
        value = {"list": [value], "dict": {"k": value}, "part": [{"type": "text", "text": value}]}[how]
    return value


leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30), st.sampled_from(["\ud800", "1e999"])
)
json_values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
values = st.one_of(
    json_values,
    st.builds(nest, json_values, st.integers(1, 1100), st.sampled_from(["list", "dict", "part"])),
    st.lists(st.text(max_size=10), min_size=0, max_size=50),
)


def deep_stack(fn: Callable[[], Any], depth: int = STACK) -> Any:
    return fn() if depth <= 0 else deep_stack(fn, depth - 1)


def only(errors: type[BaseException] | tuple[type[BaseException], ...], fn: Callable[[], Any]) -> Any:
    """fn's result, or None when it raised one of its documented `errors` (anything else fails the test)."""
    try:
        return deep_stack(fn)
    except errors:
        return None


def fast(fn: Callable[[], Any], errors: type[BaseException] | tuple[type[BaseException], ...] = ()) -> None:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        only(errors, fn)
        best = min(best, time.perf_counter() - started)
        if best < BOUND_S:
            return
    raise AssertionError(f"{best * 1000:.0f} ms on 100 KB (bound {BOUND_S * 1000:.0f} ms)")


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
TIMED = settings(
    max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate]
)


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


# ---- tool-call arguments (engine/types.py) and how candidates are rendered into prompts (engine/prompts.py) ----
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
conversations = st.lists(
    st.builds(
        lambda role, content, args: {
            "role": role,
            "content": content,
            **(
                {"tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": args}}]}
                if args
                else {}
            ),
        },
        st.sampled_from(["user", "assistant", "tool", "system"]),
        st.one_of(texts, values),
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


# ---- request fields (adapter/request.py, adapter/routing_hook.py, routing/text.py) ----
CONFIG = parse_fusion_params("fusion/best-of", {"model": "fusion/best-of", "panel": ["a", "b"], "judge": "j"})
PARAMS = ["max_tokens", "max_completion_tokens", "n", "temperature", "tools", "stop", "logprobs", "panel"]


@PROPERTY
@given(st.one_of(values, conversations), st.dictionaries(st.sampled_from(PARAMS), values, max_size=4))
def test_any_fusion_request_parses_or_is_a_request_error(messages, params):
    only(RequestError, lambda: parse_request(CONFIG, messages, params, {"model": "fusion/best-of"}))


DEPLOYMENTS = [
    {"model_name": "auto", "litellm_params": {"model": f"openai/{m}"}, "model_info": {"id": m, "strength": s}}
    for m, s in (("cheap", 1.0), ("strong", 3.0))
]
OPEN = GroupRouting(caller_may_set=("mode", "candidates", "max_cost"))
HEADERS = ["x-litellm-routing-mode", "x-litellm-routing-candidates", "x-litellm-routing-max-cost"]
METADATA = ["routing_mode", "routing_candidates", "routing_max_cost"]
header_values = st.one_of(st.text(max_size=50), big_texts, st.just("1e999"), st.just("nan"), st.just("-1"))


def routed_request(metadata: dict[str, Any], headers: dict[str, str], extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": "auto",
        "messages": [{"role": "user", "content": "hi"}],
        "metadata": {**metadata, "headers": headers},
        "proxy_server_request": {"headers": headers},
        **extra,
    }


routed_requests = st.builds(
    routed_request,
    st.dictionaries(st.sampled_from(METADATA), values, max_size=3),
    st.dictionaries(st.sampled_from(HEADERS), header_values, max_size=3),
    st.dictionaries(st.sampled_from(["max_tokens", "max_completion_tokens", "messages"]), values, max_size=2),
)


@pytest.fixture(scope="module")
def hook() -> RoutingHook:
    return RoutingHook({"auto": OPEN})


@PROPERTY
@given(routed_requests)
def test_any_routing_values_are_read_or_refused_with_a_routing_error(hook, data):
    only(CallerRoutingError, lambda: caller_routing("auto", OPEN, data, DEPLOYMENTS))
    only(CallerRoutingError, lambda: hook.check_request(data, DEPLOYMENTS))


@PROPERTY
@given(routed_requests)
def test_the_routed_message_readers_take_any_shape(hook, data):
    messages = data.get("messages")
    assert deep_stack(lambda: estimate_prompt_tokens(messages if isinstance(messages, list) else None)) >= 1
    deep_stack(lambda: request_text(messages if isinstance(messages, list) else None))
    deep_stack(lambda: responses_messages(messages))


@pytest.mark.parametrize("key", METADATA)
@pytest.mark.parametrize("how", ["list", "dict", "part"])
def test_routing_values_nested_1100_deep_are_a_routing_error(hook, key, how):
    data = routed_request({key: nest("x", 1100, how)}, {}, {})
    with pytest.raises(CallerRoutingError, match=key):
        deep_stack(lambda: hook.check_request(data, DEPLOYMENTS))


@TIMED
@given(big_texts)
def test_100kb_routing_values_are_read_in_linear_time(hook, text):
    for metadata, headers in (
        ({"routing_candidates": text.split(",")[:10_000]}, {}),
        ({"routing_max_cost": text}, {}),
        ({}, {"x-litellm-routing-candidates": text}),
        ({}, {"x-litellm-routing-mode": text}),
    ):
        data = routed_request(metadata, headers, {"messages": [{"role": "user", "content": text}]})
        fast(lambda d=data: hook.check_request(d, DEPLOYMENTS), CallerRoutingError)
        fast(lambda d=data: parse_request(CONFIG, d["messages"], {"max_tokens": text}, {}), RequestError)
