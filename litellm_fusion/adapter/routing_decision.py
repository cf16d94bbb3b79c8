"""LiteLLM's standard per-request routing record (`routing_decision`), filled for our routing and cascades.

LiteLLM (1.102.4+) reads `metadata["routing_decision"]` (a `StandardLoggingRoutingDecision`) when it
builds a request's standard logging payload: the spend row keeps it, the admin UI shows it as the
request's "Routing" card, and with a `savings_baseline_model` / `savings_baseline_deployment_id` it prices
what the request would have cost on the baseline (`autorouter_savings`), which its daily tables sum into
`autorouter_savings_spend` (Cost Optimization, a key's Savings and Auto-router usage tabs).

- Complexity routing (`stamp_routing`, from the routing filter): baseline = the group's strongest
  deployment. LiteLLM computes the savings itself from the routed call's own cost breakdown and usage,
  which is what our `litellm_fusion_routing_savings_usd` / `_overspend_usd` counters count
  (the strongest deployment's prices x the call's tokens - its cost).
- Cascade (`stamp_cascade`, for the cascade engine): baseline = the last tier. The outer row is a
  fusion row (LiteLLM has no per-token price for it), so LiteLLM cannot price it; `settle_savings`
  (from the logging hook) writes the figure itself: the baseline deployment's prices x the answer's
  tokens - the summed cost of every tier that ran.

The record's field names and value vocabularies are LiteLLM's (`litellm/types/utils.py`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

ROUTING_DECISION_KEY = "routing_decision"  # LiteLLM's metadata key
ROUTER_TYPE = "complexity"  # LiteLLM's closest router_type; its UI labels it "Auto-Router v2"
CAUSE = "classifier_plugin"  # LiteLLM: "the operator's classifier plugin decided the tier"
# Where the cascade leaves what `settle_savings` needs (never logged: it is not under spend_logs_metadata).
CASCADE_BASELINE_KEY = "litellm_fusion_cascade_baseline"
# LiteLLM's marker that `autorouter_savings` is a real estimate (see savings.recorded_estimated_autorouter_savings).
SAVINGS_ESTIMATE = {"version": 1, "status": "estimated", "reason": "uncached_usage"}


def stamp_routing(metadata: dict[str, Any], group: str, decision: Any) -> None:
    """The routing filter chose `decision.chosen` in `group` (a routing.strategy.Decision)."""
    baseline = decision.strongest or decision.chosen
    record: dict[str, Any] = {
        "router_model_name": group,
        "router_type": ROUTER_TYPE,
        "routed_model": decision.chosen.model,
        "cause": CAUSE,
        "tier": decision.chosen.model,
        "escalated": False,
        "signals": [" ".join(str(decision.reason).split())[:200]],
        "savings_baseline_model": baseline.model,
        "savings_baseline_deployment_id": baseline.id,
    }
    if decision.difficulty is not None:
        record["score"] = round(float(decision.difficulty), 4)
    if decision.p_success:
        record["classifier_probabilities"] = {k: round(v, 4) for k, v in decision.p_success.items()}
    metadata[ROUTING_DECISION_KEY] = record


def stamp_cascade(
    metadata: dict[str, Any],
    baseline_model_name: str,
    baseline_deployment_id: str,
    tier_reached: int | str,
    escalated: bool,
    *,
    fusion_model: str | None = None,
    answer_tokens: tuple[int, int] | None = None,
) -> None:
    """For the cascade engine, once the tier that answered is known (call it with the outer request's
    metadata, the dict `handler._metadata(litellm_params)` returns).

    `baseline_model_name` / `baseline_deployment_id`: the last tier's model_name and the deployment that
    would have served it (LiteLLM prices it with `Router.get_deployment_model_info`); `tier_reached`: the
    tier that answered (1-based, or its name); `escalated`: a later tier than the first ran;
    `answer_tokens`: (prompt, completion) tokens of the accepted answer, what the baseline is priced on
    (default: the request's summed tokens, an over-estimate when tiers escalated)."""
    baseline_model = _deployment_model(baseline_deployment_id) or baseline_model_name
    metadata[ROUTING_DECISION_KEY] = {
        "router_model_name": fusion_model or str(metadata.get("model_group") or "fusion/cascade"),
        "router_type": ROUTER_TYPE,
        "routed_model": str(tier_reached),
        "cause": CAUSE,
        "tier": str(tier_reached),
        "escalated": bool(escalated),
        "savings_baseline_model": baseline_model,
        "savings_baseline_deployment_id": baseline_deployment_id,
    }
    metadata[CASCADE_BASELINE_KEY] = {
        "model": baseline_model,
        "deployment_id": baseline_deployment_id,
        "answer_tokens": list(answer_tokens) if answer_tokens is not None else None,
    }


def settle_savings(kwargs: dict[str, Any], metadata: Mapping[str, Any], cost: float, usage: tuple[int, int]) -> float | None:
    """For an outer cascade call (logging hook, before the spend row is built): write LiteLLM's
    `autorouter_savings` = the baseline's price of the answer - `cost`. Returns the figure, or None
    when the request has no cascade baseline or the baseline has no price."""
    baseline = metadata.get(CASCADE_BASELINE_KEY)
    standard = kwargs.get("standard_logging_object")
    if not isinstance(baseline, Mapping) or not isinstance(standard, dict):
        return None
    tokens = baseline.get("answer_tokens") or usage
    baseline_cost = _deployment_cost(str(baseline["deployment_id"]), str(baseline["model"]), int(tokens[0]), int(tokens[1]))
    if baseline_cost is None:
        return None
    savings = baseline_cost - cost
    standard["autorouter_savings"] = savings
    standard["autorouter_savings_estimate"] = dict(SAVINGS_ESTIMATE)
    return savings


def _deployment_model(deployment_id: str) -> str | None:
    """The deployment's `litellm_params.model` (e.g. openai/gpt-4o), the name LiteLLM prices a baseline by."""
    from .router_caller import proxy_router

    try:
        deployment = proxy_router().get_deployment(model_id=deployment_id)
    except Exception:  # noqa: BLE001
        return None
    return getattr(getattr(deployment, "litellm_params", None), "model", None) if deployment is not None else None


def _deployment_cost(deployment_id: str, model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
    """What the tokens cost on one deployment, at the prices LiteLLM bills it (its model_info over the cost map)."""
    from .router_caller import proxy_router

    try:
        info = proxy_router().get_deployment_model_info(deployment_id, model) or {}
    except Exception:  # noqa: BLE001 - no such deployment / no price: no figure rather than a wrong one
        return None
    price_in, price_out = info.get("input_cost_per_token"), info.get("output_cost_per_token")
    if price_in is None and price_out is None:
        return None
    cost = float(price_in or 0.0) * prompt_tokens + float(price_out or 0.0) * completion_tokens
    return cost if math.isfinite(cost) else None
