"""A broken fusion config stops a real proxy at start-up with a message naming the model and field."""

from __future__ import annotations

from typing import Any

import pytest

from helpers import FUSION_WIRING
from proxy_harness import ProxyProcess, fake_deployment

BASE = [fake_deployment("m-a", "http://127.0.0.1:9/v1", 1e-6, 1e-6), fake_deployment("judge", "http://127.0.0.1:9/v1", 1e-6, 1e-6)]


def config_with(fusion_params: dict[str, Any]) -> dict[str, Any]:
    return {
        "model_list": [*BASE, {"model_name": "fusion/debate", "litellm_params": {"model": "fusion/debate", **fusion_params}}],
        "litellm_settings": dict(FUSION_WIRING),
    }


BAD = {
    "empty-panel": ({"panel": [], "judge": "judge"}, "litellm_params.panel: panel must name at least one model_name"),
    "unknown-panel-member": ({"panel": ["m-a", "gpt-nope"], "judge": "judge"}, "litellm_params.panel[1]: 'gpt-nope' is not a model_name"),
    "unknown-judge": ({"panel": ["m-a"], "judge": "judge-nope"}, "litellm_params.judge: 'judge-nope' is not a model_name"),
    "unknown-mode": ({"mode": "vote", "panel": ["m-a"], "judge": "judge"}, "litellm_params.mode: Input should be 'best-of', 'merge', 'debate' or 'cascade'"),
    "rounds-below-1": ({"panel": ["m-a"], "judge": "judge", "rounds": 0}, "litellm_params.rounds: Input should be greater than or equal to 1"),
    "self-in-panel": ({"panel": ["m-a", "fusion/debate"], "judge": "judge"}, "panel names the fusion model fusion/debate itself"),
    "typo-option": ({"panel": ["m-a"], "judge": "judge", "pannel": ["m-a"]}, "litellm_params.pannel: unknown fusion option"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_fusion_config_stops_the_proxy_naming_model_and_field(case: str, tmp_path):
    params, message = BAD[case]
    code, output = ProxyProcess(config_with(params), tmp_path, spend_log=False).run_until_exit(timeout=120)
    assert code != 0, output[-3000:]
    assert "fusion model 'fusion/debate'" in output, output[-3000:]
    assert message in output, output[-3000:]
    assert "Application startup failed" in output


BAD_CASCADES = {  # one proxy start: every problem of every fusion model is reported together
    "fusion/c-empty-tier": ({"tiers": [[], ["judge"]]}, "litellm_params.tiers[0].models: a tier must name at least one model_name"),
    "fusion/c-unknown": ({"tiers": [["m-a", "m-nope"], ["judge"]]}, "litellm_params.tiers[0].models[1]: 'm-nope' is not a model_name"),
    "fusion/c-nested": ({"tiers": [["m-a", "fusion/debate"], ["judge"]]}, "litellm_params.tiers[0].models[1]: 'fusion/debate' is a fusion model"),
    "fusion/c-k": ({"tiers": [{"models": ["m-a", "judge"], "accept": {"agreement": 3}}, ["judge"]]},
                   "accept: agreement of 3 answers is more than tier 1 gives (2 model(s) x 1 sample(s))"),
    "fusion/c-one-answer": ({"tiers": [["m-a"], ["judge"]]}, "agreement needs at least 2 answers but tier 1 gives 1"),
}


def test_bad_cascade_configs_stop_the_proxy_naming_each_model_and_field(tmp_path):
    config = config_with({"panel": ["m-a"], "judge": "judge"})
    config["model_list"] += [{"model_name": name, "litellm_params": {"model": "fusion/cascade", **params}}
                             for name, (params, _) in BAD_CASCADES.items()]
    code, output = ProxyProcess(config, tmp_path, spend_log=False).run_until_exit(timeout=120)
    assert code != 0 and "Application startup failed" in output, output[-3000:]
    for name, (_, message) in BAD_CASCADES.items():
        assert f"fusion model '{name}'" in output and message in output, (name, output[-3000:])


def routing_config(routing: dict[str, Any], deployments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    group = deployments or [
        {"model_name": "auto", "litellm_params": {"model": "openai/gpt-4o-mini", "api_key": "x"}},
        {"model_name": "auto", "litellm_params": {"model": "openai/o3", "api_key": "x"}},
    ]
    return {"model_list": [*BASE, *group], "litellm_settings": dict(FUSION_WIRING), "litellm_fusion": {"routing": routing}}


BAD_ROUTING = {
    "unknown-group": (routing_config({"nope": {"mode": "cost"}}), "litellm_fusion.routing.nope: no model_name 'nope' in model_list"),
    "invalid-mode": (routing_config({"auto": {"mode": "cheapest"}}), "litellm_fusion.routing.auto.mode: mode must be cost, balanced, quality or a number"),
    "no-price": (
        routing_config({"auto": {}}, [
            {"model_name": "auto", "litellm_params": {"model": "openai/gpt-4o-mini", "api_key": "x"}},
            {"model_name": "auto", "litellm_params": {"model": "openai/in-house-model", "api_key": "x"}, "model_info": {"strength": 1.0}},
        ]),
        "routed group 'auto': deployment 'openai/in-house-model' has no price",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_ROUTING))
def test_bad_routing_config_stops_the_proxy_naming_the_field(case: str, tmp_path):
    config, message = BAD_ROUTING[case]
    code, output = ProxyProcess(config, tmp_path, spend_log=False).run_until_exit(timeout=120)
    assert code != 0 and message in output and "Application startup failed" in output, output[-3000:]
