"""The proxy LiteLLM's admin UI is looked at with (tests/browser): fusion models, a cascade and a routed group
over a fake upstream that answers as four well-known models would, at their list prices, so the
screenshots in docs/ show what a user of this plugin sees."""

from __future__ import annotations

from typing import Any

from .fake_upstream import FakeUpstream
from .helpers import FUSION_WIRING
from .proxy_harness import fake_deployment

PRICES = {  # $ per input / output token
    "gpt-4o-mini": (1.5e-7, 6e-7),
    "claude-haiku": (8e-7, 4e-6),
    "gemini-flash": (1e-7, 4e-7),
    "gpt-4o": (2.5e-6, 1e-5),
}
TOKENS = {"gpt-4o-mini": (412, 286), "claude-haiku": (430, 301), "gemini-flash": (405, 257), "gpt-4o": (1630, 344)}
PANEL = ["gpt-4o-mini", "claude-haiku", "gemini-flash"]
ROUTED_GROUP = "auto"
STRENGTHS = {"gpt-4o-mini": 2.0, "gpt-4o": 3.0}


def ui_config(upstream_url: str) -> dict[str, Any]:
    routed = [
        {
            "model_name": ROUTED_GROUP,
            "litellm_params": {"model": f"openai/{name}", "api_base": upstream_url, "api_key": "fake-key"},
            "model_info": {
                "input_cost_per_token": PRICES[name][0],
                "output_cost_per_token": PRICES[name][1],
                "strength": strength,
            },
        }
        for name, strength in STRENGTHS.items()
    ]
    fusion = {
        "fusion/debate": {"panel": PANEL, "judge": "gpt-4o", "rounds": 2},
        "fusion/best-of": {"panel": PANEL, "judge": "gpt-4o"},
        "fusion/cascade": {"tiers": [["gpt-4o-mini", "gemini-flash"], ["gpt-4o"]], "accept": "agreement"},
    }
    return {
        "model_list": [fake_deployment(name, upstream_url, *price) for name, price in PRICES.items()]
        + [{"model_name": name, "litellm_params": {"model": name, **opts}} for name, opts in fusion.items()]
        + routed,
        "router_settings": {"num_retries": 0},
        "litellm_settings": {**FUSION_WIRING, "callbacks": ["litellm_fusion.fusion_callbacks"]},
        "litellm_fusion": {"routing": {ROUTED_GROUP: {"mode": "balanced"}}},
    }


def steer(upstream: FakeUpstream, agree: bool = False) -> None:
    """Each model answers with its own plausible token counts; the judge's verdict picks candidate 2.
    `agree`: the cascade's cheap tier gives one answer (it stops there)."""
    for model, (pt, ct) in TOKENS.items():
        if model == "gpt-4o":
            text = '{"winner": 2, "reason": "the only answer that checks the edge case"}'
        else:
            letter = "C" if model == "gemini-flash" else "B"  # the panel and the cascade's cheap tier disagree
            text = "The answer is B." if agree else f"{model}: the answer is {letter}, because ..."
        upstream.set(model, text=text, prompt_tokens=pt, completion_tokens=ct)
