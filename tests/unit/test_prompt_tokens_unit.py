"""The one prompt-token count (adapter/proxy_access/prompt_tokens.py): LiteLLM's own token_counter, used alike by the
cost cap, the budget reservation and complexity routing, whatever API the request came in on."""

from __future__ import annotations

import json

import litellm

from litellm_fusion.adapter.proxy_access.prompt_tokens import count, of_request
from litellm_fusion.adapter.routing.routing_hook import RoutingHook
from litellm_fusion.config.routing import GroupRouting

CJK = "".join(chr(0x4E00 + i % 500) for i in range(1000))  # dense text: ~1.7 tokens a character


def test_the_count_is_litellms_token_counter():
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "What is 2 + 2?"}]
    assert count(messages) == litellm.token_counter(model="gpt-4o", messages=messages)
    assert count([{"role": "user", "content": CJK}]) > 1000  # characters / 4 would say 251


def test_tool_definitions_count_as_prompt():
    messages = [{"role": "user", "content": "hi"}]
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}]
    assert count(messages, tools) == count(messages) + len(json.dumps(tools)) // 4


def test_the_same_prompt_counts_the_same_on_every_api():
    chat = {"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": CJK}]}
    anthropic = {"system": "be brief", "messages": [{"role": "user", "content": CJK}]}
    responses = {"instructions": "be brief", "input": CJK}
    assert of_request(chat) == of_request(anthropic) == of_request(responses) == count(chat["messages"])


def test_a_shape_token_counter_cannot_read_is_counted_not_raised():
    assert count(None) >= 1
    assert count([{"role": "user", "content": {"not": "text"}}, 7, "x"]) >= 1


def test_routing_checks_the_context_window_with_the_same_count():
    """A prompt of 1,000 CJK characters is ~1,700 tokens: a deployment with a 600-token window cannot take it
    (characters / 4, the routing hook's old estimate, said 251 and kept it)."""
    deployments = [
        {
            "model_name": "auto",
            "litellm_params": {"model": f"openai/{name}"},
            "model_info": {
                "id": name,
                "strength": strength,
                "input_cost_per_token": price,
                "output_cost_per_token": price,
                "max_input_tokens": window,
            },
        }
        for name, strength, price, window in (("small-window", 1.0, 1e-7, 600), ("big-window", 3.0, 1e-5, 128_000))
    ]
    messages = [{"role": "user", "content": CJK}]
    kwargs: dict = {"messages": messages, "metadata": {}}
    chosen = RoutingHook({"auto": GroupRouting()}).filter("auto", deployments, messages, kwargs)
    record = kwargs["metadata"]["litellm_fusion_routing"]
    assert [d["model_info"]["id"] for d in chosen] == ["big-window"]
    assert record["excluded"] == {"openai/small-window": f"context window 600 < {count(messages)} prompt tokens"}
