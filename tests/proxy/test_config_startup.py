"""A broken fusion or routing config stops a real proxy at start-up with a message naming the model and field of
every problem at once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.helpers import FUSION_WIRING
from tests.support.proxy_fleet import Fleet
from tests.support.proxy_harness import fake_deployment

BASE = [
    fake_deployment("m-a", "http://127.0.0.1:9/v1", 1e-6, 1e-6),
    fake_deployment("judge", "http://127.0.0.1:9/v1", 1e-6, 1e-6),
]


BAD = {  # one proxy start: every problem of every fusion model is reported together, each naming its model
    "fusion/empty-panel": (
        {"panel": [], "judge": "judge"},
        "litellm_params.panel: panel must name at least one model_name",
    ),
    "fusion/unknown-member": (
        {"panel": ["m-a", "gpt-nope"], "judge": "judge"},
        "litellm_params.panel[1]: 'gpt-nope' is not a model_name",
    ),
    "fusion/unknown-judge": (
        {"panel": ["m-a"], "judge": "judge-nope"},
        "litellm_params.judge: 'judge-nope' is not a model_name",
    ),
    "fusion/unknown-mode": (
        {"mode": "vote", "panel": ["m-a"], "judge": "judge"},
        "litellm_params.mode: Input should be 'best-of', 'merge', 'debate' or 'cascade'",
    ),
    "fusion/no-rounds": (
        {"panel": ["m-a"], "judge": "judge", "rounds": 0},
        "litellm_params.rounds: Input should be greater than or equal to 1",
    ),
    "fusion/self": (
        {"panel": ["m-a", "fusion/self"], "judge": "judge"},
        "panel names the fusion model fusion/self itself",
    ),
    "fusion/typo": (
        {"panel": ["m-a"], "judge": "judge", "pannel": ["m-a"]},
        "litellm_params.pannel: unknown fusion option",
    ),
    "fusion/c-empty-tier": (
        {"mode": "cascade", "tiers": [[], ["judge"]]},
        "litellm_params.tiers[0].models: a tier must name at least one model_name",
    ),
    "fusion/c-unknown": (
        {"mode": "cascade", "tiers": [["m-a", "m-nope"], ["judge"]]},
        "litellm_params.tiers[0].models[1]: 'm-nope' is not a model_name",
    ),
    "fusion/c-nested": (
        {"mode": "cascade", "tiers": [["m-a", "fusion/typo"], ["judge"]]},
        "litellm_params.tiers[0].models[1]: 'fusion/typo' is a fusion model",
    ),
    "fusion/c-k": (
        {"mode": "cascade", "tiers": [{"models": ["m-a", "judge"], "accept": {"agreement": 3}}, ["judge"]]},
        "accept: agreement of 3 answers is more than tier 1 gives (2 model(s) x 1 sample(s))",
    ),
    "fusion/c-bad-contract": (
        {"mode": "cascade", "tiers": [["m-a", "judge"], ["judge"]], "answer": {"from": "regex:(unclosed"}},
        "litellm_params.answer: from: regex '(unclosed' does not compile",
    ),
    "fusion/c-bad-kind": (
        {"mode": "cascade", "tiers": [["m-a", "judge"], ["judge"]], "answer": {"kind": "vector"}},
        "litellm_params.answer.kind: Input should be 'auto', 'letter', 'number', 'math', 'literal' or 'text'",
    ),
    # live audits (issue 23)
    "fusion/bad-rate": (
        {"mode": "cascade", "tiers": [{"models": ["m-a"], "samples": 2}, ["judge"]], "audit": {"rate": 1.5}},
        "litellm_params.audit.rate: Input should be less than or equal to 1",
    ),
    "fusion/bad-audit-judge": (
        {
            "mode": "cascade",
            "tiers": [{"models": ["m-a"], "samples": 2}, ["judge"]],
            "audit": {"rate": 0.1, "judge": "judge"},
        },
        "litellm_params.audit.judge: 'judge' is the audited arm 'judge'",
    ),
    "fusion/unknown-audit-judge": (
        {
            "mode": "cascade",
            "tiers": [{"models": ["m-a"], "samples": 2}, ["judge"]],
            "audit": {"rate": 0.1, "judge": "nope"},
        },
        "litellm_params.audit.judge: 'nope' is not a model_name in model_list",
    ),
    "fusion/c-one-answer": (
        {"mode": "cascade", "tiers": [["m-a"], ["judge"]]},
        "agreement needs at least 2 answers but tier 1 gives 1",
    ),
}


def test_bad_fusion_configs_stop_the_proxy_naming_each_model_and_field(fleet: Fleet):
    code, output = fleet.exit_of("bad-fusion")
    assert code != 0 and "Application startup failed" in output, output[-3000:]
    for name, (_, message) in BAD.items():
        assert f"fusion model '{name}'" in output and message in output, (name, output[-3000:])
    assert "litellm_fusion.routing.nope: no model_name 'nope' in model_list" in output, output[-3000:]
    assert "litellm_fusion.routing.lonely.learn: the group has 1 deployment" in output, output[-3000:]


def routing_config(routing: dict[str, Any], deployments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    group = deployments or [
        {"model_name": "auto", "litellm_params": {"model": "openai/gpt-4o-mini", "api_key": "x"}},
        {"model_name": "auto", "litellm_params": {"model": "openai/o3", "api_key": "x"}},
    ]
    return {
        "model_list": [*BASE, *group],
        "litellm_settings": dict(FUSION_WIRING),
        "litellm_fusion": {"routing": routing},
    }


NO_PRICE = {
    "model_name": "auto",
    "litellm_params": {"model": "openai/in-house-model", "api_key": "x"},
    "model_info": {"strength": 1.0},
}
NO_STRENGTH = {
    "model_name": "auto",
    "litellm_params": {"model": "openai/in-house-priced", "api_key": "x"},
    "model_info": {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6},
}
BAD_ROUTING = {  # case -> (config, the messages its one failed start must print)
    "invalid-mode": (
        routing_config({"auto": {"mode": "cheapest"}}),
        ["litellm_fusion.routing.auto.mode: mode must be cost, balanced, quality or a number"],
    ),
    "every-group-problem": (  # an unknown group and two bad deployments of another: all three named
        routing_config(
            {"nope": {"mode": "cost"}, "auto": {}},
            [
                {"model_name": "auto", "litellm_params": {"model": "openai/gpt-4o-mini", "api_key": "x"}},
                NO_PRICE,
                NO_STRENGTH,
            ],
        ),
        [
            "litellm_fusion.routing.nope: no model_name 'nope' in model_list",
            "routed group 'auto': deployment 'openai/in-house-model' has no price",
            "routed group 'auto': deployment 'openai/in-house-priced' has no strength",
        ],
    ),
}


def fleet_proxies(fleet: Fleet) -> None:
    """Every bad config's proxy start runs alongside the session's other proxy starts."""
    fleet.add_failing(
        "bad-fusion",
        {  # and a routing problem: fusion and routing problems are reported together
            "model_list": [
                *BASE,
                {**fake_deployment("g-single", "http://127.0.0.1:9/v1", 1e-7, 2e-7), "model_name": "lonely"},
                *(
                    {"model_name": name, "litellm_params": {"model": "fusion/debate", **params}}
                    for name, (params, _) in BAD.items()
                ),
            ],
            "litellm_settings": dict(FUSION_WIRING),
            # a routed group that does not exist, and one whose single deployment leaves nothing to learn
            "litellm_fusion": {"routing": {"nope": {"mode": "cost"}, "lonely": {"learn": True}}},
        },
    )
    for case, (config, _) in BAD_ROUTING.items():
        fleet.add_failing(f"bad-routing-{case}", config)


@pytest.mark.parametrize("case", sorted(BAD_ROUTING))
def test_bad_routing_config_stops_the_proxy_naming_the_field(case: str, fleet: Fleet):
    _, messages = BAD_ROUTING[case]
    code, output = fleet.exit_of(f"bad-routing-{case}")
    assert code != 0 and "Application startup failed" in output, output[-3000:]
    for message in messages:
        assert message in output, (message, output[-3000:])
