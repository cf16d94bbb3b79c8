"""The database tier's proxy: fusion models over a fake-upstream panel, a routed group and Prometheus,
with every price and token count fixed so each request's cost is exact."""

from __future__ import annotations

from typing import Any

from .db_proxy import declare_db_proxy
from .fake_upstream import FakeUpstream
from .helpers import FUSION_WIRING
from .proxy_fleet import Fleet
from .proxy_harness import fake_deployment

PRICES = {  # model_name on the fake upstream: (input $/token, output $/token)
    "m-a": (1e-6, 2e-6),
    "m-b": (3e-6, 4e-6),
    "m-c": (5e-7, 1.5e-6),
    "judge": (1e-5, 3e-5),
    "small": (1e-7, 2e-7),  # the routed group "auto": a cheap weak deployment ...
    "big": (1e-5, 3e-5),  # ... and an expensive strong one (its savings baseline)
}
PANEL = ["m-a", "m-b", "m-c"]
TOKENS = {"m-a": (11, 7), "m-b": (13, 9), "m-c": (17, 3), "judge": (101, 23), "small": (20, 10), "big": (20, 10)}
FUSION = {
    "fusion/best-of": {"panel": PANEL, "judge": "judge"},
    "fusion/merge": {"panel": PANEL, "judge": "judge"},
    "fusion/debate": {"panel": PANEL, "judge": "judge", "rounds": 2},
    # needs every member: one failing member fails the request (after the others answered and were billed)
    "fusion/all-or-nothing": {"mode": "best-of", "panel": PANEL, "judge": "judge", "min_panel": 3},
    # cheap tier first; the last tier ("judge", the priciest model) only when the cheap answers disagree
    "fusion/cascade": {"tiers": [["m-c", "m-a"], ["judge"]], "accept": "agreement"},
    # the same, every answer of tier 1 audited after the reply (tests/db/test_audit_db.py): billed to the caller's
    # key, or to AUDIT_BILLING_KEY
    "fusion/cascade-audited": {"mode": "cascade", "tiers": [["m-c", "m-a"], ["judge"]], "audit": {"rate": 1.0}},
    "fusion/cascade-audit-billed": {
        "mode": "cascade",
        "tiers": [["m-c", "m-a"], ["judge"]],
        "audit": {"rate": 1.0, "billing_key": "sk-fusion-db-tier-audit-billing-key"},
    },
}
AUDIT_BILLING_KEY = FUSION["fusion/cascade-audit-billed"]["audit"]["billing_key"]
# steer() overrides: the cheap tier agrees (the cascade stops at tier 1); a panel member is down
AGREEING = {"m_a": {"text": "The answer is B."}, "m_c": {"text": "B"}}
FAILING = {"m_b": {"status": 500, "error_message": "m-b is down"}}
ROUTED_GROUP = "auto"


def db_config(upstream_url: str) -> dict[str, Any]:
    routed = [
        {
            "model_name": ROUTED_GROUP,
            # the fake upstream speaks chat completions only (like vLLM or llama.cpp): LiteLLM bridges
            # /v1/responses (and, with the setting below, /v1/messages) to it rather than to OpenAI's Responses API
            "litellm_params": {
                "model": f"openai/{name}",
                "api_base": upstream_url,
                "api_key": "fake-key",
                "use_chat_completions_api": True,
            },
            "model_info": {
                "input_cost_per_token": PRICES[name][0],
                "output_cost_per_token": PRICES[name][1],
                "strength": strength,
            },
        }
        for name, strength in (("small", 2.0), ("big", 3.0))
    ]
    return {
        "model_list": [fake_deployment(name, upstream_url, *PRICES[name]) for name in [*PANEL, "judge"]]
        + [{"model_name": name, "litellm_params": {"model": name, **opts}} for name, opts in FUSION.items()]
        + routed,
        "router_settings": {"num_retries": 0},
        "litellm_settings": {
            **FUSION_WIRING,
            "callbacks": ["litellm_fusion.fusion_callbacks", "prometheus"],
            "use_chat_completions_url_for_anthropic_messages": True,
        },
        "litellm_fusion": {"routing": {ROUTED_GROUP: {"mode": "balanced"}}},
    }


def fleet_proxies(fleet: Fleet) -> None:
    """The tier's one proxy, started with the session's other proxies: every module of tests/db imports this as its
    own `fleet_proxies` (tests/support/proxy_fleet.py)."""
    declare_db_proxy(fleet, "db_tier", db_config(fleet.upstream.base_url))


def steer(upstream: FakeUpstream, **overrides: dict[str, Any]) -> None:
    """Every model answers with its own token counts (so each call has a distinct, exact price); the
    judge picks candidate 1. `overrides`: per model (m_a=...), Behaviour fields."""
    for model, (pt, ct) in TOKENS.items():
        text = '{"winner": 1, "reason": "most complete"}' if model == "judge" else f"answer from {model}"
        upstream.set(
            model,
            **{
                "text": text,
                "prompt_tokens": pt,
                "completion_tokens": ct,
                **overrides.get(model.replace("-", "_"), {}),
            },
        )
