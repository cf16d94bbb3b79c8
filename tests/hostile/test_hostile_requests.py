"""Malformed and hostile requests on every endpoint (/v1/chat/completions, /v1/messages, /v1/responses), to fusion
models and to the routed group: the caller's mistake is a 400 naming the field as the caller sent it, with a short
body, and no provider call; a fusion model is never retried as a whole, whatever the client asks; a cooled-down
routing candidate is routed around (or gets LiteLLM's own cooldown answer)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.support.helpers import new_tag
from tests.support.hostile_fleet import ORDINARY, PANEL, chat, fleet_proxies, provider_bill, send, spend_of  # noqa: F401

ERROR_BODY_LIMIT = 4096  # bytes: an error body never echoes an unbounded input
# Request metadata nested much deeper fails in LiteLLM itself before any plugin code (add_litellm_data_to_request
# deep-copies it: RecursionError, a 500); the plugin's readers are tested 1,100 deep in test_hostile_request_fields.py.
LITELLM_DEPTH = 300


def deep(levels: int, leaf: Any = "x") -> Any:
    value = leaf
    for _ in range(levels):
        value = [value]
    return value


def nested_parts(levels: int) -> Any:
    content: Any = "hi"
    for _ in range(levels):
        content = [{"type": "text", "text": content}]
    return content


def steer(upstream: Any) -> None:
    for model in [*ORDINARY, "auto-mini", "auto-sonnet", "auto-o3", "cool-a", "cool-b"]:
        upstream.set(model, text=f"answer from {model}")
    upstream.set("gpt-4o", text='{"winner": 1, "reason": "first"}')


def assert_refused(answer: Any, field: str, upstream: Any) -> None:
    assert answer.status == 400, (answer.status, answer.error[:500])
    assert field in answer.error, answer.error[:500]
    assert answer.size <= ERROR_BODY_LIMIT, answer.size
    assert not upstream.seen, "a refused request reached a provider"


# ---- numeric fields: (endpoint, body, the field as the caller named it) ----
CHAT, MESSAGES, RESPONSES = "/v1/chat/completions", "/v1/messages", "/v1/responses"
BAD_NUMBERS = ["abc", -5, 0, 1.5, {}, True, [1], 10**40]


def anthropic(model: str, max_tokens: Any = 64, content: Any = "What is 2+2?") -> dict[str, Any]:
    return {"model": model, "max_tokens": max_tokens, "messages": [{"role": "user", "content": content}]}


def responses(model: str, input: Any = "What is 2+2?", **extra: Any) -> dict[str, Any]:
    return {"model": model, "input": input, **extra}


@pytest.mark.parametrize("value", BAD_NUMBERS, ids=repr)
@pytest.mark.parametrize("model", ["fusion/best-of", "fusion/cascade", "auto"])
def test_a_bad_max_tokens_is_a_400_naming_it(hostile, upstream, model, value):
    steer(upstream)
    assert_refused(send(hostile, CHAT, chat(model, max_tokens=value)), "max_tokens", upstream)


@pytest.mark.parametrize("value", [{}, "x", -1, 2.5], ids=repr)
@pytest.mark.parametrize("model", ["fusion/merge", "auto"])
def test_a_bad_max_completion_tokens_is_a_400_naming_it(hostile, upstream, model, value):
    steer(upstream)
    assert_refused(send(hostile, CHAT, chat(model, max_completion_tokens=value)), "max_completion_tokens", upstream)


@pytest.mark.parametrize("value", ["abc", -5, 1.5], ids=repr)
@pytest.mark.parametrize("model", ["fusion/best-of", "auto"])
def test_bad_token_limits_on_the_messages_and_responses_endpoints_name_their_own_field(hostile, upstream, model, value):
    steer(upstream)
    assert_refused(send(hostile, MESSAGES, anthropic(model, max_tokens=value)), "max_tokens", upstream)
    assert_refused(send(hostile, RESPONSES, responses(model, max_output_tokens=value)), "max_output_tokens", upstream)


# ---- message shapes ----
@pytest.mark.parametrize(
    "path, body, field",
    [
        (CHAT, {"model": "fusion/best-of", "messages": []}, "messages"),
        (MESSAGES, {"model": "fusion/best-of", "max_tokens": 64, "messages": []}, "messages"),
        (RESPONSES, responses("fusion/best-of", input=""), "input"),
        (RESPONSES, responses("fusion/best-of", input=[]), "input"),
        (RESPONSES, responses("fusion/cascade", input="   "), "input"),
    ],
    ids=["chat-empty", "messages-empty", "responses-empty-string", "responses-empty-list", "responses-blank"],
)
def test_an_empty_request_is_a_400_naming_the_field_of_its_endpoint(hostile, upstream, path, body, field):
    steer(upstream)
    answer = send(hostile, path, body)
    assert_refused(answer, field, upstream)
    if field == "input":
        assert "messages" not in answer.error


@pytest.mark.parametrize(
    "path, body, field",
    [
        (CHAT, chat("fusion/best-of", nested_parts(100)), "messages[0].content"),
        (CHAT, chat("fusion/debate", deep(100)), "messages[0].content"),
        (MESSAGES, anthropic("fusion/merge", content=nested_parts(100)), "messages[0].content"),
        (RESPONSES, responses("fusion/best-of", input=[{"role": "user", "content": nested_parts(100)}]), "input[0]"),
    ],
    ids=["chat-parts", "chat-lists", "messages-parts", "responses-parts"],
)
def test_content_nested_100_deep_is_a_400_naming_where(hostile, upstream, path, body, field):
    steer(upstream)
    assert_refused(send(hostile, path, body), field, upstream)


# ---- the routed group's per-request controls ----
def test_a_max_cost_from_the_header_is_named_as_the_header_and_printed_readably(hostile, upstream):
    steer(upstream)
    answer = send(hostile, CHAT, chat("auto"), {"x-litellm-routing-max-cost": "0.0000001"})
    assert_refused(answer, "x-litellm-routing-max-cost", upstream)
    assert "routing_max_cost" not in answer.error
    assert not re.search(r"\$0\.0+(?![0-9])", answer.error) and "$0.0000001 " in answer.error, answer.error


def test_a_max_cost_from_metadata_is_named_as_metadata(hostile, upstream):
    steer(upstream)
    answer = send(hostile, CHAT, chat("auto", metadata={"routing_max_cost": 1e-7}))
    assert_refused(answer, "routing_max_cost", upstream)
    assert "x-litellm-routing-max-cost" not in answer.error and not re.search(r"\$0\.0+(?![0-9])", answer.error)


def test_ten_thousand_unknown_candidates_give_a_short_error(hostile, upstream):
    steer(upstream)
    names = [f"no-such-deployment-{i}" for i in range(10_000)]
    answer = send(hostile, CHAT, chat("auto", metadata={"routing_candidates": names}))
    assert_refused(answer, "routing_candidates", upstream)
    assert "10000" in answer.error.replace(",", ""), answer.error


def test_a_huge_header_value_gives_a_short_error(hostile, upstream):
    # 700 names, 14.7 kB: the largest header that reliably reaches LiteLLM. Past 16 kB uvicorn's h11 parser may refuse
    # the request itself (400 "Invalid HTTP request received." or a reset), depending on how TCP chunks it, before
    # any code of LiteLLM or ours runs (docs/hostile-input.md).
    steer(upstream)
    answer = send(hostile, CHAT, chat("auto"), {"x-litellm-routing-candidates": ",".join(["x" * 20] * 700)})
    assert_refused(answer, "x-litellm-routing-candidates", upstream)


@pytest.mark.parametrize(
    "metadata, field",
    [
        ({"routing_candidates": {"a": 1}}, "routing_candidates"),
        ({"routing_candidates": deep(LITELLM_DEPTH)}, "routing_candidates"),
        ({"routing_candidates": [deep(LITELLM_DEPTH)]}, "routing_candidates"),
        ({"routing_mode": deep(LITELLM_DEPTH)}, "routing_mode"),
        ({"routing_mode": {"x": deep(LITELLM_DEPTH)}}, "routing_mode"),
        ({"routing_max_cost": deep(LITELLM_DEPTH)}, "routing_max_cost"),
        ({"routing_max_cost": "1e999"}, "routing_max_cost"),
        ({"routing_max_cost": "nan"}, "routing_max_cost"),
        ({"routing_max_cost": "9" * 5000}, "routing_max_cost"),
        ({"routing_max_cost": True}, "routing_max_cost"),
    ],
    ids=[
        "cands-dict",
        "cands-deep",
        "cands-deep-item",
        "mode-deep",
        "mode-dict",
        "cost-deep",
        "cost-inf",
        "cost-nan",
        "cost-5000-digits",
        "cost-bool",
    ],
)
def test_routing_values_of_any_shape_are_a_400_naming_them(hostile, upstream, metadata, field):
    steer(upstream)
    assert_refused(send(hostile, CHAT, chat("auto", metadata=metadata)), field, upstream)


@pytest.mark.parametrize(
    # 15 kB, under h11's 16 kB header limit (see test_a_huge_header_value_gives_a_short_error)
    "header, value",
    [("x-litellm-routing-mode", "x" * 15_000), ("x-litellm-routing-max-cost", "1e999")],
)
def test_routing_headers_of_any_value_are_a_400_naming_them(hostile, upstream, header, value):
    steer(upstream)
    assert_refused(send(hostile, CHAT, chat("auto"), {header: value}), header, upstream)


def test_a_cooled_down_candidate_is_routed_around_or_gets_litellms_cooldown_answer(hostile, upstream):
    steer(upstream)
    upstream.set("cool-a", status=429, error_message="rate limited")
    only_a = send(hostile, CHAT, chat("auto-cool", "hi", metadata={"routing_candidates": ["cool-a"]}))
    assert only_a.status == 429, (only_a.status, only_a.error)  # cool-a's 429, then LiteLLM's own cooldown answer
    assert [s.model for s in upstream.seen] == ["cool-a"]
    both = send(hostile, CHAT, chat("auto-cool", "hi", metadata={"routing_candidates": ["cool-a", "cool-b"]}))
    assert both.status == 200, (both.status, both.error)
    assert both.body["choices"][0]["message"]["content"] == "answer from cool-b"
    again = send(hostile, CHAT, chat("auto-cool", "hi", metadata={"routing_candidates": ["cool-a"]}))
    assert again.status == 429, (again.status, again.error)
    assert "is not a deployment" not in again.error
    assert [s.model for s in upstream.seen] == ["cool-a", "cool-b"], "a cooled-down deployment was called"


# ---- a fusion model is never retried as a whole ----
@pytest.mark.parametrize(
    "extra, headers",
    [
        ({"num_retries": 1}, None),
        ({"max_retries": 2}, None),
        ({"metadata": {"num_retries": 1}}, None),
        ({}, {"x-litellm-num-retries": "1"}),
        ({}, None),
    ],
    ids=["body-num_retries", "body-max_retries", "metadata-num_retries", "header-num-retries", "router-num_retries"],
)
def test_a_failed_fusion_request_is_not_retried_and_its_calls_are_billed_once(hostile, upstream, extra, headers):
    steer(upstream)
    for failing in ("claude-haiku", "gemini-flash"):  # 2 of 3 fail: debate's min_panel 2 is not met
        upstream.set(failing, status=500)
    tag = new_tag()
    answer = send(hostile, CHAT, chat("fusion/debate", **extra), {"x-litellm-tags": tag, **(headers or {})})
    assert answer.status == 502, (answer.status, answer.error)
    assert len(upstream.requests_for("gpt-4o-mini")) == 1, "the panel ran more than once"
    rows = spend_of(hostile, tag)
    assert len(rows) == 1 and rows[0]["status"] == "failure"
    assert float(rows[0]["spend"]) == pytest.approx(provider_bill(upstream), rel=1e-9, abs=1e-15)


def test_a_fusion_reply_never_carries_retry_settings_to_its_members(hostile, upstream):
    steer(upstream)
    answer = send(hostile, CHAT, chat("fusion/merge", num_retries=3, max_retries=3))
    assert answer.status == 200, answer.error
    for seen in upstream.seen:
        assert "num_retries" not in seen.body and "max_retries" not in seen.body, json.dumps(seen.body)[:300]
    assert sorted(s.model for s in upstream.seen) == sorted([*PANEL, "gpt-4o"])
