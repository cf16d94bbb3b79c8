"""LiteLLM's standard per-request routing record (`routing_decision`), filled for our routing and cascades.

LiteLLM (1.102.4+) keeps `metadata["routing_decision"]` (a `StandardLoggingRoutingDecision`) in the spend
row, shows it as the request's "Routing" card in its admin UI, and, given a `savings_baseline_model` /
`savings_baseline_deployment_id`, records what the request saved against that baseline
(`autorouter_savings` in the row), which its daily tables sum into `autorouter_savings_spend` (the UI's
Cost Optimization and a key's Savings tab).

- Complexity routing (`stamp_routing`, from the routing filter): baseline = the group's strongest
  deployment. LiteLLM prices the counterfactual itself (the baseline deployment's prices x the routed
  call's tokens - its cost), which is exactly our `litellm_fusion_routing_savings_usd - _overspend_usd`.
- Cascade (`settle_cascade`, from the logging hook): baseline = the last tier. A fusion row has no
  per-token price LiteLLM could reprice, so the figure written is the cascade's own (`fusion.savings` in
  the spend metadata = `litellm_fusion_cascade_savings_usd - _overspend_usd`); the record names the
  last tier's first model (its most expensive deployment) as the baseline.

Field names and value vocabularies are LiteLLM's (`litellm/types/utils.py`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ...learning.policy import describe
from ..proxy_access.request_metadata import all_dicts

ROUTING_DECISION_KEY = "routing_decision"  # LiteLLM's metadata key
ROUTER_TYPE = "complexity"  # LiteLLM's router_type for a complexity router (its UI labels it "Auto-Router v2")
CAUSE = "classifier_plugin"  # LiteLLM: the operator's plugin decided the tier
# LiteLLM's marker that `autorouter_savings` is a figure its daily tables take as recorded.
SAVINGS_ESTIMATE = {"version": 1, "status": "estimated", "reason": "uncached_usage"}


def stamp_routing(
    metadata: dict[str, Any], group: str, decision: Any, learning: Mapping[str, Any] | None = None
) -> None:
    """The routing filter chose `decision.chosen` in `group` (a routing.strategy.Decision); `learning`: what the
    group's learned model did (its version and label count become the last signal)."""
    baseline = decision.strongest or decision.chosen
    record: dict[str, Any] = {
        "router_model_name": group,
        "router_type": ROUTER_TYPE,
        "routed_model": decision.chosen.model,
        "cause": CAUSE,
        "tier": decision.chosen.model,
        # LiteLLM's UI shows each signal as a badge: the decision's reason in short pieces
        "signals": [part for part in re.split(r": |, ", " ".join(str(decision.reason).split())) if part][:6]
        + ([describe(learning)] if learning else []),
        "savings_baseline_model": baseline.model,
        "savings_baseline_deployment_id": baseline.id,
    }
    if decision.difficulty is not None:
        record["score"] = round(float(decision.difficulty), 4)
    if decision.p_success:  # shown by LiteLLM's UI as "Probabilities": each deployment's predicted success
        record["classifier_probabilities"] = {k: round(v, 4) for k, v in decision.p_success.items()}
    metadata[ROUTING_DECISION_KEY] = record


def settle_cascade(kwargs: dict[str, Any]) -> float | None:
    """An outer cascade request, in the logging hook (before LiteLLM builds the spend row): write LiteLLM's
    routing record and `autorouter_savings` = the cascade's savings. Returns the figure (None: no cascade)."""
    buckets = list(_metadata_buckets(kwargs))
    entry = next((e for b in buckets if _has_tier_savings(e := _fusion_entry(b))), None)
    standard = kwargs.get("standard_logging_object")
    if entry is None or not isinstance(standard, dict):
        return None
    record = cascade_record(entry)
    for bucket in buckets:
        bucket[ROUTING_DECISION_KEY] = record
    savings = float(entry["savings"])
    standard["autorouter_savings"] = savings
    standard["autorouter_savings_estimate"] = dict(SAVINGS_ESTIMATE)
    return savings


def cascade_record(entry: Mapping[str, Any]) -> dict[str, Any]:
    """LiteLLM's routing record of a cascade request, from its `fusion` spend entry."""
    tiers = [list(t) for t in entry.get("tiers") or []]
    reached = int(entry["tier_reached"])
    escalations = [
        f"tier {e.get('tier')} escalated: {e.get('code') or 'not accepted'}" for e in entry.get("escalations") or []
    ]
    record: dict[str, Any] = {
        "router_model_name": str(entry.get("fusion_model") or ""),
        "routed_model": ", ".join(tiers[reached - 1]) if 0 < reached <= len(tiers) else str(reached),
        "cause": CAUSE,
        "tier": str(reached),
        "tier_label": f"tier {reached} of {len(tiers)}",
        "signals": [f"accepted by {entry.get('accepted_by')}", *escalations],
    }
    if isinstance(entry.get("learning"), Mapping):
        record["signals"].append(describe(entry["learning"]))
    if reached > 1:  # only when true: LiteLLM's UI reads escalated=false as "requested, already at the top tier"
        record["escalated"] = True
    baseline = _priciest_deployment(tiers[-1][0]) if tiers and tiers[-1] else None
    if baseline is not None:
        record["savings_baseline_model"], record["savings_baseline_deployment_id"] = baseline
    return record


def _metadata_buckets(kwargs: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The dicts LiteLLM builds a request's spend row from (`litellm_metadata` on /v1/messages and
    /v1/responses, `metadata` otherwise)."""
    yield from all_dicts(kwargs.get("litellm_params") or {})


def _fusion_entry(bucket: Mapping[str, Any]) -> Any:
    spend = bucket.get("spend_logs_metadata")
    return spend.get("fusion") if isinstance(spend, Mapping) else None


def _has_tier_savings(entry: Any) -> bool:
    return isinstance(entry, Mapping) and "tier_reached" in entry and "savings" in entry


def _priciest_deployment(model_name: str) -> tuple[str, str] | None:
    """(litellm model, deployment id) of a model_name's most expensive deployment: the one the cascade's
    baseline is priced on (adapter/fusion/cascade_savings.py)."""
    from ..proxy_access.deployment_profiles import deployment_prices
    from ..proxy_access.router_access import group_deployments, proxy_router

    try:
        candidates = group_deployments(proxy_router(), model_name)
    except RuntimeError:
        return None
    best: tuple[float, str, str] | None = None
    for deployment in candidates:
        price = sum(deployment_prices(deployment))
        deployment_id = str((deployment.get("model_info") or {}).get("id") or "")
        if deployment_id and (best is None or price > best[0]):
            best = (price, str((deployment.get("litellm_params") or {}).get("model", model_name)), deployment_id)
    return None if best is None else (best[1], best[2])
