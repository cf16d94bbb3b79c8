"""Per-request routing control without a proxy: what a caller may set, how it is read, how it is applied."""

from __future__ import annotations

import pytest

from litellm_fusion.adapter.routing.routing_hook import (
    CallerRouting,
    CallerRoutingError,
    RoutingHook,
    allowed_ids,
    caller_routing,
)
from litellm_fusion.adapter.routing.routing_record import routing_headers
from litellm_fusion.config.routing import GroupRouting, RoutingMode
from litellm_fusion.routing.difficulty_model import Estimate
from litellm_fusion.routing.strategy import DeploymentProfile, NoCandidate, choose

OPEN = GroupRouting(mode="balanced", caller_may_set=("mode", "candidates", "max_cost"))
CLOSED = GroupRouting(mode="balanced")


def deployment(name: str, price_in: float, price_out: float, strength: float) -> dict:
    return {
        "model_name": "auto",
        "litellm_params": {"model": f"openai/{name}"},
        "model_info": {
            "id": f"id-{name}",
            "input_cost_per_token": price_in,
            "output_cost_per_token": price_out,
            "strength": strength,
        },
    }


GROUP = [
    deployment("cheap", 1e-7, 4e-7, 0.0),
    deployment("mid", 1e-6, 4e-6, 1.5),
    deployment("strong", 1e-5, 4e-5, 3.0),
]


def req(metadata: dict | None = None, headers: dict | None = None, **kw) -> dict:
    meta = dict(metadata or {})
    if headers is not None:
        meta["headers"] = headers
    return {"model": "auto", "messages": [{"role": "user", "content": "hi"}], "metadata": meta, **kw}


def test_nothing_set_is_nothing_applied():
    assert caller_routing("auto", CLOSED, req(), GROUP) == CallerRouting()
    assert caller_routing("auto", OPEN, req(headers={"user-agent": "x"}), GROUP).applied() == {}


def test_metadata_and_headers_are_read_metadata_first():
    c = caller_routing(
        "auto", OPEN, req({"routing_mode": "cost", "routing_candidates": ["cheap", "openai/mid"]}), GROUP
    )
    assert c.mode is RoutingMode.COST and c.candidates == ("cheap", "openai/mid")
    h = caller_routing(
        "auto",
        OPEN,
        req(
            headers={
                "x-litellm-routing-mode": "Quality",
                "x-litellm-routing-candidates": "cheap, id-strong",
                "x-litellm-routing-max-cost": "0.002",
            }
        ),
        GROUP,
    )
    assert h == CallerRouting(RoutingMode.QUALITY, ("cheap", "id-strong"), 0.002)
    both = caller_routing("auto", OPEN, req({"routing_mode": "cost"}, {"x-litellm-routing-mode": "quality"}), GROUP)
    assert both.mode is RoutingMode.COST
    assert allowed_ids(h, GROUP) == {"id-cheap", "id-strong"}
    assert allowed_ids(CallerRouting(), GROUP) is None


@pytest.mark.parametrize(
    "field,key,value",
    [
        ("mode", "routing_mode", "cost"),
        ("candidates", "routing_candidates", ["cheap"]),
        ("max_cost", "routing_max_cost", 1.0),
    ],
)
def test_a_field_the_operator_did_not_open_is_refused_by_name(field, key, value):
    with pytest.raises(CallerRoutingError) as e:
        caller_routing("auto", CLOSED, req({key: value}), GROUP)
    assert key in str(e.value) and "litellm_fusion.routing.auto.caller_may_set" in str(e.value)
    only_mode = GroupRouting(caller_may_set=("mode",))
    if field != "mode":
        with pytest.raises(CallerRoutingError, match=key):
            caller_routing("auto", only_mode, req({key: value}), GROUP)
    header = "x-litellm-routing-" + field.replace("_", "-")
    with pytest.raises(CallerRoutingError, match=header):
        caller_routing(
            "auto", CLOSED, req(headers={header: str(value[0] if isinstance(value, list) else value)}), GROUP
        )


@pytest.mark.parametrize(
    "metadata,named",
    [
        ({"routing_mode": "fast"}, "routing_mode: must be cost, balanced or quality"),
        ({"routing_mode": 0.3}, "routing_mode: must be cost, balanced or quality"),
        (
            {"routing_candidates": ["cheap", "gpt-9"]},
            "routing_candidates: 'gpt-9' is not a deployment of routed group 'auto'",
        ),
        ({"routing_candidates": []}, "routing_candidates: names no deployment"),
        ({"routing_candidates": [1, 2]}, "routing_candidates: must be a list"),
        ({"routing_max_cost": "lots"}, "routing_max_cost: must be a positive number"),
        ({"routing_max_cost": -1}, "routing_max_cost: must be a positive number"),
        ({"routing_max_cost": True}, "routing_max_cost: must be a positive number"),
    ],
)
def test_invalid_values_are_refused_by_name(metadata, named):
    with pytest.raises(CallerRoutingError, match=named):
        caller_routing("auto", OPEN, req(metadata), GROUP)


PROFILES = [
    DeploymentProfile(f"id-{n}", f"openai/{n}", pi, po, s)
    for n, pi, po, s in (("cheap", 1e-7, 4e-7, 0.0), ("mid", 1e-6, 4e-6, 1.5), ("strong", 1e-5, 4e-5, 3.0))
]


def test_candidates_and_ceiling_narrow_the_choice():
    hard = Estimate(2.5)
    assert choose(PROFILES, hard, 0.1, 1000, 400).chosen.model == "openai/strong"
    d = choose(PROFILES, hard, 0.1, 1000, 400, allowed={"id-cheap", "id-mid"})
    assert d.chosen.model == "openai/mid" and d.excluded["openai/strong"] == "not among the caller's candidates"
    # strong costs 1000 x 1e-5 + 400 x 4e-5 = $0.026 here, mid $0.0026
    d = choose(PROFILES, hard, 0.1, 1000, 400, max_cost=0.01)
    assert d.chosen.model == "openai/mid" and "over the caller's max_cost" in d.excluded["openai/strong"]
    with pytest.raises(NoCandidate):
        choose(PROFILES, hard, 0.1, 1000, 400, allowed={"id-strong"}, max_cost=0.01)


def test_the_mode_the_caller_sets_is_the_price_weight_applied():
    hook = RoutingHook({"auto": OPEN})
    content = "Prove that every bounded monotone sequence of reals converges, citing the completeness axiom."
    picks = {}
    for mode in ("quality", "cost"):
        kwargs = req({"routing_mode": mode}, messages=[{"role": "user", "content": content}])
        [chosen] = hook.filter("auto", GROUP, kwargs["messages"], kwargs)
        record = kwargs["metadata"]["litellm_fusion_routing"]
        assert record["mode"] == mode and record["caller"] == {"mode": mode}
        picks[mode] = (chosen["litellm_params"]["model"], record["price_weight"])
    assert picks["quality"][1] < picks["cost"][1]
    strengths = {"openai/cheap": 0, "openai/mid": 1, "openai/strong": 2}
    assert strengths[picks["quality"][0]] >= strengths[picks["cost"][0]]


def test_check_request_refuses_a_ceiling_no_deployment_meets():
    hook = RoutingHook({"auto": OPEN})
    hook.check_request(req({"routing_max_cost": 0.01}), GROUP)  # the cheap one fits
    with pytest.raises(CallerRoutingError, match=r"routing_max_cost: \$0\.000000001 is below the cheapest allowed"):
        hook.check_request(req({"routing_max_cost": 1e-9}), GROUP)
    with pytest.raises(CallerRoutingError, match="routing_max_cost"):  # only strong allowed, and it is over
        hook.check_request(req({"routing_max_cost": 0.001, "routing_candidates": ["strong"]}, max_tokens=1000), GROUP)


def test_headers_show_what_the_caller_set():
    hook = RoutingHook({"auto": OPEN})
    kwargs = req({"routing_candidates": ["cheap", "mid"], "routing_max_cost": 0.5})
    hook.filter("auto", GROUP, kwargs["messages"], kwargs)
    headers = routing_headers(kwargs["metadata"])
    assert headers["x-litellm-fusion-route-caller"] == "candidates=cheap,mid; max_cost=0.5"
    assert headers["x-litellm-fusion-route-candidates"] == "openai/cheap,openai/mid"
    assert headers["x-litellm-fusion-route-mode"] == "balanced"
    plain = req()
    RoutingHook({"auto": CLOSED}).filter("auto", GROUP, plain["messages"], plain)
    assert routing_headers(plain["metadata"])["x-litellm-fusion-route-caller"] == "none"
