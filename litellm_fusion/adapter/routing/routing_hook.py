"""Complexity routing inside LiteLLM's Router, through `CustomLogger.async_filter_deployments`.

The Router calls the hook after its health and cooldown filtering, so a cooled-down or unhealthy
deployment is never chosen, and rate limits, retries and fallbacks still apply (a retry runs the
hook again on what is left: the next cheapest capable deployment). Groups that are not configured
for routing are returned untouched.

Per-request control: a caller may set the mode, restrict the candidates and set a cost ceiling (request
metadata `routing_mode` / `routing_candidates` / `routing_max_cost`, or the headers `x-litellm-routing-*`)
where the group's `caller_may_set` allows it. `check_request` runs in the proxy's pre-call hook and refuses a
disallowed or invalid value (or an output-token limit that is not a positive integer) with a 400 naming it as the
caller sent it, in a message of bounded size; `filter` applies what was sent. Candidates the Router has cooled down
are left out; when only cooled-down candidates are named, the hook leaves no deployment and LiteLLM gives its own
no-deployments (cooldown) answer. Every reader here takes any JSON value in linear time without recursing on it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from ...config.routing import CALLER_KEYS, GroupRouting, NoTextRoute
from ...observability.metadata import set_spend_entry
from ...routing.strategy import Decision, DeploymentProfile, NoCandidate, choose, dollars
from ...routing.text import responses_messages
from ..learning import LearningRuntime
from ..proxy_access import prompt_tokens
from ..proxy_access.deployment_profiles import profile_for
from ..proxy_access.request import token_limit_error
from ..proxy_access.request_metadata import routing_target
from .caller_routing import (
    CallerRouting,
    CallerRoutingError,
    allowed_ids,
    caller_routing,
    deployment_names,
    effective_routing,
    raw_caller_values,
)
from .routing_decision import stamp_routing
from .routing_record import DECISION_KEY, decision_record

__all__ = [  # the per-request controls live in caller_routing.py; importable from here as before
    "CallerRouting",
    "CallerRoutingError",
    "allowed_ids",
    "caller_routing",
    "deployment_names",
]


def _model() -> Any:
    from ...routing.difficulty_model import DifficultyModel

    return DifficultyModel.load()


def decide(
    model: Any,
    routing: GroupRouting,
    profiles: list[DeploymentProfile],
    estimate: Any,
    messages: list[Any] | None,
    max_tokens: int | None = None,
    caller: CallerRouting | None = None,
    allowed: set[str] | None = None,
    p_success: Mapping[str, float] | None = None,
    prompt: int | None = None,
) -> Decision:
    """The routing decision for a request whose estimate is known: the proxy's and the CLI's. `prompt`: the
    messages' prompt tokens when already counted (adapter/proxy_access/prompt_tokens.py)."""
    caller = caller or CallerRouting()
    return choose(
        profiles,
        estimate,
        effective_routing(routing, caller).price_weight,
        prompt_tokens=prompt_tokens.count(messages) if prompt is None else prompt,
        output_tokens=int(max_tokens or routing.expected_output_tokens),
        no_text_strongest=routing.no_text is NoTextRoute.STRONGEST,
        allowed=allowed,
        max_cost=caller.max_cost,
        p_success=p_success,
    )


def _token_limit(kwargs: Mapping[str, Any]) -> int | None:
    """The request's output-token limit when it is a valid one (check_request refused any other)."""
    for key in ("max_tokens", "max_completion_tokens", "max_output_tokens"):
        value = kwargs.get(key)
        if value is not None and token_limit_error({key: value}, (key,)) is None:
            return int(value)
    return None


def _output_tokens(kwargs: Mapping[str, Any], routing: GroupRouting) -> int:
    return _token_limit(kwargs) or routing.expected_output_tokens


class RoutingHook:
    def __init__(
        self, routing: dict[str, GroupRouting], audits: Any = None, learning: LearningRuntime | None = None
    ) -> None:
        self.groups = routing
        self.model = _model() if routing else None
        self.audits = audits  # adapter/audit/audit_service.py: a tripped audit guardrail suspends a deployment
        self.learning = learning  # adapter/learning.py: learned success estimates for groups with learn: true

    def routes(self, group: str) -> bool:
        return group in self.groups

    @staticmethod
    def _deployments(group: str, healthy: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """All of the group's deployments (a caller may name one that is cooling down), else the healthy ones."""
        try:
            from ..proxy_access.router_access import group_deployments, proxy_router

            return group_deployments(proxy_router(), group) or healthy
        except (ImportError, RuntimeError):
            return healthy

    def check_request(self, data: Mapping[str, Any], deployments: list[Mapping[str, Any]]) -> CallerRouting:
        """Before routing (the proxy's pre-call hook): the caller's values for a routed group, checked
        against its policy and all of its deployments. Raises CallerRoutingError (-> 400)."""
        group = str(data.get("model"))
        routing = self.groups[group]
        problem = token_limit_error(data)
        if problem:
            raise CallerRoutingError(f"routed group {group!r}: {problem}")
        caller = caller_routing(group, routing, data, deployments)
        if caller.max_cost is not None or caller.candidates is not None:
            allowed = allowed_ids(caller, deployments)
            profiles = [profile_for(d, group) for d in deployments]
            prompt = prompt_tokens.count(data.get("messages"))
            output = _output_tokens(data, routing)
            try:
                from ...routing.strategy import caller_limits

                caller_limits(profiles, allowed, caller.max_cost, prompt, output)
            except NoCandidate as exc:
                cheapest = min(p.request_cost(prompt, output) for p in profiles if allowed is None or p.id in allowed)
                sent_as = raw_caller_values(data).get("max_cost", (CALLER_KEYS["max_cost"][0], None))[0]
                raise CallerRoutingError(
                    f"{sent_as}: {dollars(caller.max_cost or 0.0)} is below the cheapest allowed deployment's "
                    f"estimated cost {dollars(cheapest)} for this request ({str(exc)[:1000]})"
                ) from None
        return caller

    def check_or_400(self, data: Mapping[str, Any]) -> None:
        """`check_request` for a request to a routed group, as an HTTP 400 naming the value."""
        if not self.routes(str(data.get("model"))):
            return
        from fastapi import HTTPException

        from ..proxy_access.router_access import group_deployments, proxy_router

        group = str(data.get("model"))
        deployments = group_deployments(proxy_router(), group)
        try:
            self.check_request(data, deployments)
        except CallerRoutingError as exc:
            raise HTTPException(status_code=400, detail={"error": str(exc)}) from None

    def filter(
        self,
        group: str,
        healthy: list[dict[str, Any]],
        messages: list[Any] | None,
        request_kwargs: dict[str, Any] | None,
    ) -> list[dict[str, Any]]:
        routing = self.groups.get(group)
        if routing is None:
            return healthy
        kwargs = request_kwargs or {}
        if messages is None and kwargs.get("input") is not None:  # /v1/responses: the Router passes no messages
            messages = list(responses_messages(kwargs["input"]))
        caller = (
            caller_routing(group, routing, kwargs, self._deployments(group, healthy))
            if routing.caller_may_set
            else CallerRouting()
        )
        if len(healthy) < 2 and caller.candidates is None and caller.max_cost is None:
            return healthy
        allowed = allowed_ids(caller, healthy)
        if allowed is not None and not allowed:
            return []  # only cooled-down (or unhealthy) candidates named: LiteLLM's own no-deployments answer
        metadata = routing_target(request_kwargs)
        previous = metadata.get(DECISION_KEY)
        started = time.perf_counter()
        reading = None
        if isinstance(previous, dict) and previous.get("group") == group and "estimate" in previous:
            estimate = _estimate_from(previous["estimate"])  # a retry: the text did not change
        else:
            reading = self.model.read(messages or [])  # type: ignore[union-attr]
            estimate = reading.estimate if reading is not None else None
        classifier_us = (time.perf_counter() - started) * 1e6
        profiles = [profile_for(d, group) for d in healthy]
        by_id = {p.id: d for p, d in zip(profiles, healthy, strict=True)}
        learning = self.learning
        learned = learning.for_group(group, routing, messages, reading) if learning is not None else None
        success = learned.success if learned is not None else None
        prompt, tokens = prompt_tokens.count(messages), _token_limit(kwargs)

        def among(ids: set[str] | None) -> Decision:
            return decide(self.model, routing, profiles, estimate, messages, tokens, caller, ids, success, prompt)

        try:
            decision = among(allowed)
        except NoCandidate:
            # check_request found a deployment within the caller's limits among all of the group's: those left out
            # here are cooling down. LiteLLM answers as for a group with no healthy deployment.
            return []
        if learned is not None and self.learning is not None and estimate is not None:
            decision = self.learning.explore(decision, learned, profiles, prompt, _output_tokens(kwargs, routing))
        audit = None
        if routing.audit is not None and self.audits is not None:  # live audits (adapter/routing/audit_routing.py)
            from .audit_routing import guard_route

            limits = allowed or {p.id for p in profiles}
            decision, audit = guard_route(
                self.audits.book, group, routing.audit, profiles, decision, messages, lambda out: among(limits - out)
            )
        record = decision_record(group, routing, decision, classifier_us, caller)
        if audit is not None:
            record["audit"] = audit
        if learned is not None:
            record["learning"] = learned.report()
        record["estimate"] = None if estimate is None else [estimate.difficulty, estimate.slope, estimate.unfamiliar]
        metadata[DECISION_KEY] = record
        set_spend_entry(metadata, "routing", record)
        stamp_routing(metadata, group, decision, record.get("learning"))  # LiteLLM's record: UI card, savings
        return [by_id[decision.chosen.id]]


def _estimate_from(stored: Any) -> Any:
    from ...routing.difficulty_model import Estimate

    return None if stored is None else Estimate(*stored)
