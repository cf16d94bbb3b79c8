"""The plugin's record of a routing decision, and the response headers made from it.

The routing filter (adapter/routing/routing_hook.py) writes the record into the request's metadata under `DECISION_KEY`
(and the spend row's `routing` entry); the callbacks read it back for the response headers
(`x-litellm-fusion-route-*`), the routing metrics and the live audits. Header values are one bounded line each.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...config.routing import GroupRouting
from ...learning.policy import describe
from ...observability.audit_view import route_audit_headers
from ...observability.metadata import header_value
from ...routing.strategy import Decision
from .caller_routing import CallerRouting, effective_routing

DECISION_KEY = "litellm_fusion_routing"


def decision_record(
    group: str, routing: GroupRouting, decision: Decision, classifier_us: float, caller: CallerRouting | None = None
) -> dict[str, Any]:
    strongest = decision.strongest or decision.chosen
    caller = caller or CallerRouting()
    applied = effective_routing(routing, caller)
    return {
        "group": group,
        "deployment": decision.chosen.model,
        "deployment_id": decision.chosen.id,
        "mode": applied.mode_name,
        "price_weight": applied.price_weight,
        "caller": caller.applied(),
        "difficulty": None if decision.difficulty is None else round(decision.difficulty, 4),
        "slope": None if decision.slope is None else round(decision.slope, 4),
        "p_success": {k: round(v, 4) for k, v in decision.p_success.items()},
        "candidates": decision.considered,
        "excluded": decision.excluded,
        "reason": decision.reason,
        "classifier_us": round(classifier_us, 1),
        "estimated_cost": decision.estimated_cost,
        "strongest_estimated_cost": decision.strongest_cost,
        # for the savings metric: the strongest deployment's prices, applied to the call's actual usage
        "strongest": {
            "deployment": strongest.model,
            "input_cost_per_token": strongest.input_cost,
            "output_cost_per_token": strongest.output_cost,
        },
    }


def routing_headers(metadata: Mapping[str, Any] | None) -> dict[str, str] | None:
    record = (metadata or {}).get(DECISION_KEY)
    if not isinstance(record, dict):
        return None
    difficulty = record.get("difficulty")
    slope = record.get("slope")
    p = record.get("p_success", {}).get(record["deployment"])
    caller = record.get("caller") or {}
    applied = "; ".join(f"{k}={','.join(v) if isinstance(v, list) else v}" for k, v in caller.items()) or "none"
    headers = {
        "x-litellm-fusion-route-group": record["group"],
        "x-litellm-fusion-route-deployment": record["deployment"],
        "x-litellm-fusion-route-mode": record["mode"],
        "x-litellm-fusion-route-difficulty": "none" if difficulty is None else f"{difficulty:.4f}",
        "x-litellm-fusion-route-slope": "none" if slope is None else f"{slope:.4f}",
        "x-litellm-fusion-route-p-success": "none" if p is None else f"{p:.4f}",
        "x-litellm-fusion-route-candidates": ",".join(record["candidates"]),
        "x-litellm-fusion-route-caller": applied,
        "x-litellm-fusion-route-classifier-us": f"{record['classifier_us']:.1f}",
        "x-litellm-fusion-route-reason": str(record["reason"]),
    }
    audit = record.get("audit") if isinstance(record.get("audit"), dict) else None
    headers.update(route_audit_headers(audit) if audit is not None else {})
    learning = record.get("learning")
    if isinstance(learning, dict):
        headers["x-litellm-fusion-route-learning"] = describe(learning)
    return {
        name: header_value(value, 300 if name.endswith(("caller", "reason")) else 2000)
        for name, value in headers.items()
    }
