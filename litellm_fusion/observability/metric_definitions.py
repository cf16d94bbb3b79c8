"""The Prometheus metrics of fusion and complexity routing: name, help, labels (and buckets) of each.

Recorded by observability/metrics.py (see there: where the values come from, why label values stay bounded, and
why the dollars are a breakdown of LiteLLM's own spend, never to be added to it).
"""

from __future__ import annotations

from typing import Any

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)
CLASSIFIER_BUCKETS = (1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 1e-2, 5e-2)

# name: (kind, help, labels[, buckets])
SPECS: dict[str, tuple[Any, ...]] = {
    "litellm_fusion_requests": (
        "counter",
        (
            "Fusion requests by fusion model, mode and outcome (ok, degraded = a member dropped or the "
            "judge fell back, failed = too few members answered, disconnected = the client hung up)"
        ),
        ("fusion_model", "mode", "outcome"),
    ),
    "litellm_fusion_request_duration_seconds": (
        "histogram",
        "Wall time of a successful fusion request (all rounds, judge, fusion's own overhead)",
        ("fusion_model", "mode"),
        LATENCY_BUCKETS,
    ),
    "litellm_fusion_slowest_member_duration_seconds": (
        "histogram",
        (
            "Per successful fusion request: the slowest member call of each round, summed over rounds "
            "(what the panel alone costs in wall time)"
        ),
        ("fusion_model", "mode"),
        LATENCY_BUCKETS,
    ),
    "litellm_fusion_rounds": (
        "counter",
        "Rounds run by successful fusion requests (debate: up to `rounds`; other modes: 1)",
        ("fusion_model", "mode"),
    ),
    "litellm_fusion_member_calls": (
        "counter",
        "Panel member calls (every round) by outcome (ok, error: failed, timed out or dropped)",
        ("fusion_model", "member", "outcome"),
    ),
    "litellm_fusion_member_duration_seconds": (
        "histogram",
        "Latency of panel member calls (every round, failed calls included)",
        ("fusion_model", "member"),
        LATENCY_BUCKETS,
    ),
    "litellm_fusion_member_cost_usd": (
        "counter",
        "Cost of panel member calls in USD (breakdown of the fusion model's spend)",
        ("fusion_model", "member"),
    ),
    "litellm_fusion_judge_calls": (
        "counter",
        "Judge calls made (not cache hits, not skipped) by outcome (ok, fallback)",
        ("fusion_model", "judge_model", "outcome"),
    ),
    "litellm_fusion_judge_duration_seconds": (
        "histogram",
        "Latency of judge calls",
        ("fusion_model", "judge_model"),
        LATENCY_BUCKETS,
    ),
    "litellm_fusion_judge_cost_usd": (
        "counter",
        "Cost of judge calls in USD (breakdown of the fusion model's spend; a cache hit costs 0)",
        ("fusion_model", "judge_model"),
    ),
    "litellm_fusion_judge_cache": (
        "counter",
        "Judge decisions by judge-cache result (hit, miss, unavailable, off); skipped judges not counted",
        ("fusion_model", "result"),
    ),
    "litellm_fusion_gate_decisions": (
        "counter",
        "Complexity-gated fusion: who answered (cheap, strong: one model alone; fuse: the panel)",
        ("fusion_model", "decision"),
    ),
    "litellm_fusion_cascade_requests": (
        "counter",
        (
            "Successful cascade requests by the tier whose answer was returned and what accepted it "
            "(agreement, verifier, agreement+verifier, last tier, fallback)"
        ),
        ("fusion_model", "tier", "accepted_by"),
    ),
    "litellm_fusion_cascade_escalations": (
        "counter",
        (
            "Cascade tiers that escalated, by tier and reason (disagreement, verifier, failed, refusal, empty, "
            "length, invalid_tool_call)"
        ),
        ("fusion_model", "tier", "reason"),
    ),
    "litellm_fusion_cascade_baseline_cost_usd": (
        "counter",
        (
            "What successful cascade requests would have cost on their last tier alone, in USD (estimated from "
            "the returned answer's usage when the last tier did not run)"
        ),
        ("fusion_model",),
    ),
    "litellm_fusion_cascade_savings_usd": (
        "counter",
        "Cascade savings in USD: last-tier cost minus actual cost, per request where positive",
        ("fusion_model",),
    ),
    "litellm_fusion_cascade_overspend_usd": (
        "counter",
        (
            "Per cascade request that cost more than its last tier alone (it escalated to it), the excess in "
            "USD (savings - overspend = baseline - actual, exactly)"
        ),
        ("fusion_model",),
    ),
    "litellm_fusion_routing_decisions": (
        "counter",
        (
            "Complexity-routing decisions by group, chosen deployment and outcome of the routed call "
            "(ok, failed; a retry after a failure is a new decision)"
        ),
        ("group", "deployment", "outcome"),
    ),
    "litellm_fusion_routing_classifier_duration_seconds": (
        "histogram",
        "Time the routing classifier took per decision",
        ("group",),
        CLASSIFIER_BUCKETS,
    ),
    "litellm_fusion_routing_cost_usd": (
        "counter",
        "What successful routed calls cost in USD (their response_cost)",
        ("group", "deployment"),
    ),
    "litellm_fusion_routing_strongest_cost_usd": (
        "counter",
        (
            "What successful routed calls would have cost in USD on the group's strongest available "
            "deployment (its per-token prices applied to the call's actual usage)"
        ),
        ("group",),
    ),
    "litellm_fusion_routing_savings_usd": (
        "counter",
        "Routing savings in USD: strongest-deployment cost minus actual cost, per call where positive",
        ("group",),
    ),
    "litellm_fusion_routing_overspend_usd": (
        "counter",
        (
            "Per call where actual cost exceeded the strongest-deployment cost, the excess in USD "
            "(savings - overspend = strongest cost - actual cost, exactly)"
        ),
        ("group",),
    ),
}
