"""Complexity routing inside LiteLLM's Router, through `CustomLogger.async_filter_deployments`.

The Router calls the hook after its health and cooldown filtering, so a cooled-down or unhealthy
deployment is never chosen, and rate limits, retries and fallbacks still apply (a retry runs the
hook again on what is left: the next cheapest capable deployment). Groups that are not configured
for routing are returned untouched.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from ..config.routing import GroupRouting, NoTextRoute
from ..observability.metadata import set_spend_entry
from ..routing.strategy import Decision, DeploymentProfile, choose
from .deployment_profiles import profile_for
from .routing_decision import stamp_routing

DECISION_KEY = "litellm_fusion_routing"
CHARS_PER_TOKEN = 4  # prompt size estimate for the context-window check (no tokenizer on the hot path)


def _model() -> Any:
    from ..routing.model import DifficultyModel

    return DifficultyModel.load()


def _metadata(request_kwargs: dict[str, Any] | None) -> dict[str, Any]:
    if request_kwargs is None:
        return {}
    key = "litellm_metadata" if "litellm_metadata" in request_kwargs and "metadata" not in request_kwargs else "metadata"
    metadata = request_kwargs.get(key)
    if not isinstance(metadata, dict):
        metadata = request_kwargs[key] = {}
    return metadata


def estimate_prompt_tokens(messages: list[Any] | None) -> int:
    """Prompt size for the context-window check and pricing: characters / CHARS_PER_TOKEN."""
    total = 0
    for message in messages or []:
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, str):
            total += len(content)
        elif isinstance(content, list):
            total += sum(len(str(p.get("text", ""))) for p in content if isinstance(p, Mapping))
    return total // CHARS_PER_TOKEN + 1


def decide(
    model: Any,
    routing: GroupRouting,
    profiles: list[DeploymentProfile],
    difficulty: float | None,
    messages: list[Any] | None,
    max_tokens: int | None = None,
) -> Decision:
    """The routing decision for a request whose difficulty is known: the proxy's and the CLI's."""
    return choose(
        profiles,
        difficulty,
        model.p_success,
        routing.price_weight,
        prompt_tokens=estimate_prompt_tokens(messages),
        output_tokens=int(max_tokens or routing.expected_output_tokens),
        no_text_strongest=routing.no_text is NoTextRoute.STRONGEST,
    )


def decision_record(group: str, routing: GroupRouting, decision: Decision, classifier_us: float) -> dict[str, Any]:
    strongest = decision.strongest or decision.chosen
    return {
        "group": group,
        "deployment": decision.chosen.model,
        "deployment_id": decision.chosen.id,
        "mode": routing.mode_name,
        "price_weight": routing.price_weight,
        "difficulty": None if decision.difficulty is None else round(decision.difficulty, 4),
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


class RoutingHook:
    def __init__(self, routing: dict[str, GroupRouting]) -> None:
        self.groups = routing
        self.model = _model() if routing else None

    def routes(self, group: str) -> bool:
        return group in self.groups

    def filter(
        self,
        group: str,
        healthy: list[dict[str, Any]],
        messages: list[Any] | None,
        request_kwargs: dict[str, Any] | None,
    ) -> list[dict[str, Any]]:
        routing = self.groups.get(group)
        if routing is None or len(healthy) < 2:
            return healthy
        metadata = _metadata(request_kwargs)
        previous = metadata.get(DECISION_KEY)
        started = time.perf_counter()
        if isinstance(previous, dict) and previous.get("group") == group and "difficulty" in previous:
            difficulty = previous["difficulty"]  # a retry: the text did not change
        else:
            difficulty = self.model.difficulty_of(messages or [])  # type: ignore[union-attr]
        classifier_us = (time.perf_counter() - started) * 1e6
        profiles = [profile_for(d, group) for d in healthy]
        by_id = {p.id: d for p, d in zip(profiles, healthy, strict=True)}
        kwargs = request_kwargs or {}
        decision = decide(self.model, routing, profiles, difficulty, messages,
                          kwargs.get("max_tokens") or kwargs.get("max_completion_tokens"))
        record = decision_record(group, routing, decision, classifier_us)
        metadata[DECISION_KEY] = record
        set_spend_entry(metadata, "routing", record)
        stamp_routing(metadata, group, decision)  # LiteLLM's own record: its UI card and savings tables
        return [by_id[decision.chosen.id]]


def routing_headers(metadata: Mapping[str, Any] | None) -> dict[str, str] | None:
    record = (metadata or {}).get(DECISION_KEY)
    if not isinstance(record, dict):
        return None
    difficulty = record.get("difficulty")
    p = record.get("p_success", {}).get(record["deployment"])
    return {
        "x-litellm-fusion-route-group": record["group"],
        "x-litellm-fusion-route-deployment": record["deployment"],
        "x-litellm-fusion-route-mode": record["mode"],
        "x-litellm-fusion-route-difficulty": "none" if difficulty is None else f"{difficulty:.4f}",
        "x-litellm-fusion-route-p-success": "none" if p is None else f"{p:.4f}",
        "x-litellm-fusion-route-candidates": ",".join(record["candidates"]),
        "x-litellm-fusion-route-classifier-us": f"{record['classifier_us']:.1f}",
        "x-litellm-fusion-route-reason": " ".join(str(record["reason"]).split())[:300],
    }
