"""The shared test proxy's config is the union of the sharing modules' configs, and any conflict between them is an
error naming the modules (tests/support/proxy_fleet.py), so no module runs under another's settings."""

from __future__ import annotations

import re

import pytest

from tests.support.proxy_fleet import FleetError, merge_configs


def part(*models: str, routing: dict | None = None, **settings: dict) -> dict:
    config = {
        "model_list": [{"model_name": m, "litellm_params": {"model": f"openai/{m}"}} for m in models],
        "router_settings": {"num_retries": 0},
        **settings,
    }
    if routing is not None:
        config["litellm_fusion"] = {"routing": routing}
    return config


def test_the_union_keeps_every_model_and_routed_group():
    merged = merge_configs({"a": part("x", "y", routing={"x": {"mode": "cost"}}), "b": part("z", routing={"z": {}})})
    assert [m["model_name"] for m in merged["model_list"]] == ["x", "y", "z"]
    assert merged["router_settings"] == {"num_retries": 0}
    assert merged["litellm_fusion"]["routing"] == {"x": {"mode": "cost"}, "z": {}}


@pytest.mark.parametrize(
    "b, named",
    [
        (part("x"), "model_name 'x' is declared by both a and b"),
        (part("z", routing={"y": {}}), "routed groups ['y'] declared twice"),
        (part("z", router_settings={"num_retries": 1}), "b: router_settings {'num_retries': 1} differs from a's"),
        (part("z", general_settings={"cancel_on_disconnect": True}), "b: general_settings"),
        (part("z", environment_variables={}), "cannot share a proxy with config keys ['environment_variables']"),
    ],
)
def test_a_conflict_is_an_error_naming_the_modules(b, named):
    with pytest.raises(FleetError, match=re.escape(named)):
        merge_configs({"a": part("x", "y", routing={"y": {}}), "b": b})
