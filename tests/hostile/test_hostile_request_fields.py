"""Property tests for every reader of request fields and headers on the request path
(adapter/proxy_access/request.py, adapter/routing/caller_routing.py, adapter/routing/routing_hook.py,
adapter/proxy_access/prompt_tokens.py, routing/text.py): on any JSON value, nested up to 1,100 levels, or any header
text, each returns or raises only its documented error (RequestError, CallerRoutingError: a 400), and reads 100 KB in
under 50 ms (tests/support/hostile_inputs.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from litellm_fusion.adapter.proxy_access.prompt_tokens import count as count_prompt_tokens
from litellm_fusion.adapter.proxy_access.request import RequestError, parse_request
from litellm_fusion.adapter.routing.routing_hook import CallerRoutingError, RoutingHook, caller_routing
from litellm_fusion.config import parse_fusion_params
from litellm_fusion.config.routing import GroupRouting
from litellm_fusion.routing.text import request_text, responses_messages
from tests.support.hostile_inputs import (
    PROPERTY,
    TIMED,
    big_texts,
    conversations,
    deep_stack,
    fast,
    nest,
    only,
    values,
)

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")


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
    assert deep_stack(lambda: count_prompt_tokens(messages if isinstance(messages, list) else None)) >= 1
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
