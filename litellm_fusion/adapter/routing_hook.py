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
from ..routing.strategy import Decision, DeploymentProfile, choose
from ..routing.text import request_text
from .deployment_profiles import profile_for

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


def _prompt_chars(messages: list[Any] | None) -> int:
    total = 0
    for message in messages or []:
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, str):
            total += len(content)
        elif isinstance(content, list):
            total += sum(len(str(p.get("text", ""))) for p in content if isinstance(p, Mapping))
    return total


def decision_record(
    group: str, routing: GroupRouting, decision: Decision, classifier_us: float, strongest: DeploymentProfile | None = None
) -> dict[str, Any]:
    strongest = strongest or decision.chosen
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


def strongest_profile(
    profiles: list[DeploymentProfile], decision: Decision, prompt_tokens: int, output_tokens: int
) -> DeploymentProfile:
    """The deployment `choose` compared against (`Decision.strongest_cost`): the strongest one that fits
    the prompt (ties: the cheaper); the chosen one when none fits."""
    fits = [p for p in profiles if p.model in decision.considered]
    if not fits:
        return decision.chosen
    return max(fits, key=lambda p: (p.strength, -p.request_cost(prompt_tokens, output_tokens)))


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
            text = request_text(list(messages or []))
            difficulty = self.model.difficulty(text) if text.strip() else None  # type: ignore[union-attr]
        classifier_us = (time.perf_counter() - started) * 1e6
        profiles = [profile_for(d, group) for d in healthy]
        by_id = {p.id: d for p, d in zip(profiles, healthy, strict=True)}
        max_tokens = (request_kwargs or {}).get("max_tokens") or (request_kwargs or {}).get("max_completion_tokens")
        prompt_tokens = _prompt_chars(messages) // CHARS_PER_TOKEN + 1
        output_tokens = int(max_tokens or routing.expected_output_tokens)
        decision = choose(
            profiles,
            difficulty,
            self.model.p_success,  # type: ignore[union-attr]
            routing.price_weight,
            prompt_tokens=prompt_tokens,
            output_tokens=output_tokens,
            no_text_strongest=routing.no_text is NoTextRoute.STRONGEST,
        )
        strongest = strongest_profile(profiles, decision, prompt_tokens, output_tokens)
        record = decision_record(group, routing, decision, classifier_us, strongest)
        metadata[DECISION_KEY] = record
        spend = metadata.get("spend_logs_metadata")
        spend = dict(spend) if isinstance(spend, dict) else {}
        spend["routing"] = record
        metadata["spend_logs_metadata"] = spend
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
