"""The worst-case estimate a request reserves against LiteLLM's budgets (adapter/budgets/request_estimate.py), over a
real LiteLLM Router: the cost cap's estimator for fusion, cascade and gated models, the dearest allowed deployment for
a routed group, from the body of any of the three client APIs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import litellm
import pytest
from litellm.llms.custom_llm import CustomLLM

from litellm_fusion.adapter.budgets.request_estimate import fusion_estimate, requested_output, routed_estimate
from litellm_fusion.adapter.proxy_access.prompt_tokens import of_request as prompt_tokens
from litellm_fusion.adapter.proxy_access.prompt_tokens import request_messages
from litellm_fusion.config.routing import GroupRouting
from litellm_fusion.engine.cost_cap import ASSUMED_OUTPUT_TOKENS, worst_case_cost

PRICES = {"a": (1e-6, 2e-6), "b": (3e-6, 4e-6), "j": (1e-5, 3e-5), "small": (1e-7, 2e-7), "big": (1e-5, 3e-5)}
CHAT = {"messages": [{"role": "user", "content": "hi"}]}


def priced(name: str, model_name: str | None = None, **info: Any) -> dict[str, Any]:
    price_in, price_out = PRICES[name]
    return {
        "model_name": model_name or name,
        "litellm_params": {"model": f"openai/{name}", "api_key": "x"},
        "model_info": {"input_cost_per_token": price_in, "output_cost_per_token": price_out, **info},
    }


def fusion(name: str, **params: Any) -> dict[str, Any]:
    return {"model_name": name, "litellm_params": {"model": name, **params}}


@pytest.fixture(scope="module")
def router() -> Iterator[litellm.Router]:
    """A Router with the `fusion` provider registered (as the proxy does from custom_provider_map)."""
    registered = litellm.custom_provider_map
    litellm.custom_provider_map = [{"provider": "fusion", "custom_handler": CustomLLM()}]
    litellm.utils.custom_llm_setup()
    yield litellm.Router(
        model_list=[
            *(priced(n) for n in ("a", "b", "j")),
            priced("small", "auto", strength=2.0),
            priced("big", "auto", strength=3.0),
            fusion("fusion/debate", panel=["a", "b"], judge="j", rounds=2),
            fusion("fusion/cascade", tiers=[["a", "b"], ["j"]]),
            fusion("fusion/gated", mode="best-of", panel=["a", "b"], judge="a", gate={"cheap": "a", "strong": "j"}),
            # two deployments under one model_name: the dearer one counts
            fusion("fusion/twice", mode="best-of", panel=["a"], judge="a"),
            {
                "model_name": "fusion/twice",
                "litellm_params": {"model": "fusion/twice-b", "mode": "best-of", "panel": ["j"], "judge": "j"},
            },
        ]
    )
    litellm.custom_provider_map = registered


def test_the_prompt_is_read_from_each_client_api():
    assert request_messages(CHAT) == CHAT["messages"]
    anthropic = {"system": "be brief", "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}
    assert [m["role"] for m in request_messages(anthropic)] == ["system", "user"]
    responses = {"instructions": "be brief", "input": [{"role": "user", "content": "hi"}, {"type": "function_call"}]}
    assert [m["role"] for m in request_messages(responses)] == ["system", "user", "user"]
    assert request_messages({"input": "hi"}) == [{"role": "user", "content": "hi"}]
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}]
    assert prompt_tokens({**CHAT, "tools": tools}) > prompt_tokens(CHAT) > 0


def test_the_output_cap_is_the_requests_else_the_deployments():
    assert requested_output({"max_completion_tokens": 7}, {"max_tokens": 99}) == 7
    assert requested_output({"max_output_tokens": 5}) == 5
    assert requested_output({}, {"max_tokens": 99}) == 99
    assert requested_output({"max_tokens": True}, {}) is None  # not a number of tokens


def test_a_debate_reserves_every_member_for_every_round_and_the_judge(router):
    body = {**CHAT, "max_tokens": 10}
    from litellm_fusion.config.fusion import parse_fusion_params

    config = parse_fusion_params("fusion/debate", {"model": "fusion/debate", "panel": ["a", "b"], "judge": "j"})
    expected = worst_case_cost(config, ["a", "b"], prompt_tokens(body), 10, PRICES.__getitem__)
    assert fusion_estimate(router, "fusion/debate", body) == pytest.approx(expected)
    # without max_tokens, the cost cap's assumed output
    unbounded = worst_case_cost(config, ["a", "b"], prompt_tokens(CHAT), ASSUMED_OUTPUT_TOKENS, PRICES.__getitem__)
    assert fusion_estimate(router, "fusion/debate", CHAT) == pytest.approx(unbounded)


def test_a_cascade_reserves_every_tier(router):
    from litellm_fusion.config.fusion import parse_fusion_params

    config = parse_fusion_params("fusion/cascade", {"model": "fusion/cascade", "tiers": [["a", "b"], ["j"]]})
    expected = worst_case_cost(config, config.tiers, prompt_tokens(CHAT), None, PRICES.__getitem__)
    assert fusion_estimate(router, "fusion/cascade", CHAT) == pytest.approx(expected)
    assert expected > (PRICES["j"][0] * prompt_tokens(CHAT) + PRICES["j"][1] * ASSUMED_OUTPUT_TOKENS)


def test_a_gated_model_reserves_the_dearest_of_fusing_and_either_single_model(router):
    body = {**CHAT, "max_tokens": 1000}
    strong_alone = PRICES["j"][0] * prompt_tokens(body) + PRICES["j"][1] * 1000
    assert fusion_estimate(router, "fusion/gated", body) == pytest.approx(strong_alone)  # j alone beats a+b+judge a


def test_a_model_name_with_two_fusion_deployments_reserves_the_dearer(router):
    assert fusion_estimate(router, "fusion/twice", CHAT) > 10 * PRICES["a"][1] * ASSUMED_OUTPUT_TOKENS
    assert fusion_estimate(router, "a", CHAT) is None  # not a fusion model


def test_a_routed_request_reserves_the_dearest_deployment_the_caller_allows(router):
    routing = GroupRouting(expected_output_tokens=400, caller_may_set=["candidates", "max_cost"])
    tokens = prompt_tokens(CHAT)
    big = PRICES["big"][0] * tokens + PRICES["big"][1] * 400
    small = PRICES["small"][0] * tokens + PRICES["small"][1] * 400
    assert routed_estimate(router, "auto", routing, CHAT) == pytest.approx(big)
    assert routed_estimate(router, "auto", routing, {**CHAT, "max_tokens": 10}) == pytest.approx(
        PRICES["big"][0] * tokens + PRICES["big"][1] * 10
    )
    only_small = {**CHAT, "metadata": {"routing_candidates": ["small"]}}
    assert routed_estimate(router, "auto", routing, only_small) == pytest.approx(small)
    capped = {**CHAT, "metadata": {"routing_max_cost": big / 2}}
    assert routed_estimate(router, "auto", routing, capped) == pytest.approx(small)
    # a value the routing hook refuses with a 400 reserves nothing
    assert routed_estimate(router, "auto", GroupRouting(), only_small) is None
