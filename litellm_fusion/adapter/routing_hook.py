"""Complexity routing inside LiteLLM's Router, through `CustomLogger.async_filter_deployments`.

The Router calls the hook after its health and cooldown filtering, so a cooled-down or unhealthy
deployment is never chosen, and rate limits, retries and fallbacks still apply (a retry runs the
hook again on what is left: the next cheapest capable deployment). Groups that are not configured
for routing are returned untouched.

Per-request control: a caller may set the mode, restrict the candidates and set a cost ceiling (request
metadata `routing_mode` / `routing_candidates` / `routing_max_cost`, or the headers `x-litellm-routing-*`)
where the group's `caller_may_set` allows it. `check_request` runs in the proxy's pre-call hook and refuses a
disallowed or invalid value with a 400 naming it; `filter` applies what was sent.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..config.routing import CALLER_KEYS, GroupRouting, NoTextRoute, RoutingMode
from ..learning.policy import describe
from ..observability.audit_view import route_audit_headers
from ..observability.metadata import set_spend_entry
from ..routing.strategy import Decision, DeploymentProfile, NoCandidate, choose
from ..routing.text import responses_messages
from .deployment_profiles import profile_for
from .learning import LearningRuntime
from .routing_decision import stamp_routing

DECISION_KEY = "litellm_fusion_routing"
CHARS_PER_TOKEN = 4  # prompt size estimate for the context-window check (no tokenizer on the hot path)


def _model() -> Any:
    from ..routing.model import DifficultyModel

    return DifficultyModel.load()


def _metadata(request_kwargs: dict[str, Any] | None) -> dict[str, Any]:
    if request_kwargs is None:
        return {}
    key = (
        "litellm_metadata" if "litellm_metadata" in request_kwargs and "metadata" not in request_kwargs else "metadata"
    )
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


class CallerRoutingError(ValueError):
    """A per-request routing value the group's policy does not allow, or an invalid one (-> HTTP 400)."""


@dataclass(frozen=True)
class CallerRouting:
    """What the caller set for this request (None: not set)."""

    mode: RoutingMode | None = None
    candidates: tuple[str, ...] | None = None  # as the caller named them
    max_cost: float | None = None

    def applied(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.mode is not None:
            out["mode"] = self.mode.value
        if self.candidates is not None:
            out["candidates"] = list(self.candidates)
        if self.max_cost is not None:
            out["max_cost"] = self.max_cost
        return out


def request_headers(kwargs: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The client's request headers as the proxy recorded them (metadata or proxy_server_request)."""
    for source in (
        (kwargs or {}).get("metadata"),
        (kwargs or {}).get("litellm_metadata"),
        (kwargs or {}).get("proxy_server_request"),
    ):
        if isinstance(source, Mapping) and isinstance(source.get("headers"), Mapping):
            return source["headers"]
    return {}


def _raw_caller_values(kwargs: Mapping[str, Any] | None) -> dict[str, tuple[str, Any]]:
    """field -> (how the caller named it, raw value); request metadata before headers."""
    metadata: Mapping[str, Any] = {}
    for key in ("metadata", "litellm_metadata"):
        value = (kwargs or {}).get(key)
        if isinstance(value, Mapping):
            metadata = value
            break
    headers = {str(k).lower(): v for k, v in request_headers(kwargs).items()}
    found: dict[str, tuple[str, Any]] = {}
    for field, (meta_key, header) in CALLER_KEYS.items():
        if metadata.get(meta_key) is not None:
            found[field] = (meta_key, metadata[meta_key])
        elif headers.get(header) not in (None, ""):
            found[field] = (header, headers[header])
    return found


def deployment_names(deployment: Mapping[str, Any]) -> set[str]:
    """How a caller may name a deployment: litellm_params.model, that without its provider prefix, its id."""
    model = str((deployment.get("litellm_params") or {}).get("model", ""))
    names = {model, model.split("/", 1)[-1]}
    model_id = (deployment.get("model_info") or {}).get("id")
    if model_id:
        names.add(str(model_id))
    return names - {""}


def caller_routing(
    group: str, routing: GroupRouting, kwargs: Mapping[str, Any] | None, deployments: Sequence[Mapping[str, Any]]
) -> CallerRouting:
    """Parse and check the caller's routing values against the group's policy and its deployments."""
    raw = _raw_caller_values(kwargs)
    where = f"litellm_fusion.routing.{group}.caller_may_set"
    for field, (name, _) in raw.items():
        if field not in routing.caller_may_set:
            raise CallerRoutingError(f"{name}: routed group {group!r} does not let callers set {field} ({where})")
    mode = candidates = max_cost = None
    if "mode" in raw:
        name, value = raw["mode"]
        try:
            mode = RoutingMode(str(value).strip().lower())
        except ValueError:
            raise CallerRoutingError(f"{name}: must be cost, balanced or quality, got {value!r}") from None
    if "candidates" in raw:
        name, value = raw["candidates"]
        listed = value.split(",") if isinstance(value, str) else value
        if not isinstance(listed, list | tuple) or not all(isinstance(c, str) for c in listed):
            raise CallerRoutingError(f"{name}: must be a list of deployment names (or a comma-separated string)")
        candidates = tuple(c.strip() for c in listed if c.strip())
        if not candidates:
            raise CallerRoutingError(f"{name}: names no deployment")
        known = set().union(*(deployment_names(d) for d in deployments)) if deployments else set()
        unknown = [c for c in candidates if c not in known]
        if unknown:
            models = sorted(str((d.get("litellm_params") or {}).get("model")) for d in deployments)
            raise CallerRoutingError(
                f"{name}: {', '.join(map(repr, unknown))} is not a deployment of routed group "
                f"{group!r} (its deployments: {', '.join(models)})"
            )
    if "max_cost" in raw:
        name, value = raw["max_cost"]
        try:
            max_cost = float(value)
        except (TypeError, ValueError):
            max_cost = float("nan")
        if isinstance(value, bool) or not max_cost > 0 or max_cost == float("inf"):
            raise CallerRoutingError(f"{name}: must be a positive number of dollars, got {value!r}")
    return CallerRouting(mode, candidates, max_cost)


def allowed_ids(caller: CallerRouting, deployments: Sequence[Mapping[str, Any]]) -> set[str] | None:
    """Ids of the deployments the caller's candidates name (None: no restriction)."""
    if caller.candidates is None:
        return None
    wanted = set(caller.candidates)
    return {
        str((d.get("model_info") or {}).get("id") or (d.get("litellm_params") or {}).get("model"))
        for d in deployments
        if deployment_names(d) & wanted
    }


def effective_routing(routing: GroupRouting, caller: CallerRouting) -> GroupRouting:
    return routing if caller.mode is None else routing.model_copy(update={"mode": caller.mode})


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
) -> Decision:
    """The routing decision for a request whose estimate is known: the proxy's and the CLI's. `p_success`: learned
    success estimates (adapter/learning.py) replacing the classifier's for the deployments they name."""
    caller = caller or CallerRouting()
    return choose(
        profiles,
        estimate,
        effective_routing(routing, caller).price_weight,
        prompt_tokens=estimate_prompt_tokens(messages),
        output_tokens=int(max_tokens or routing.expected_output_tokens),
        no_text_strongest=routing.no_text is NoTextRoute.STRONGEST,
        allowed=allowed,
        max_cost=caller.max_cost,
        p_success=p_success,
    )


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


def _output_tokens(kwargs: Mapping[str, Any], routing: GroupRouting) -> int:
    return int(kwargs.get("max_tokens") or kwargs.get("max_completion_tokens") or routing.expected_output_tokens)


class RoutingHook:
    def __init__(
        self, routing: dict[str, GroupRouting], audits: Any = None, learning: LearningRuntime | None = None
    ) -> None:
        self.groups = routing
        self.model = _model() if routing else None
        self.audits = audits  # adapter/audit_service.py: a tripped audit guardrail suspends a deployment
        self.learning = learning  # adapter/learning.py: learned success estimates for groups with learn: true

    def routes(self, group: str) -> bool:
        return group in self.groups

    def check_request(self, data: Mapping[str, Any], deployments: list[Mapping[str, Any]]) -> CallerRouting:
        """Before routing (the proxy's pre-call hook): the caller's values for a routed group, checked
        against its policy and all of its deployments. Raises CallerRoutingError (-> 400)."""
        group = str(data.get("model"))
        routing = self.groups[group]
        caller = caller_routing(group, routing, data, deployments)
        if caller.max_cost is not None or caller.candidates is not None:
            allowed = allowed_ids(caller, deployments)
            profiles = [profile_for(d, group) for d in deployments]
            prompt = estimate_prompt_tokens(data.get("messages"))
            output = _output_tokens(data, routing)
            try:
                from ..routing.strategy import caller_limits

                caller_limits(profiles, allowed, caller.max_cost, prompt, output)
            except NoCandidate as exc:
                cheapest = min(p.request_cost(prompt, output) for p in profiles if allowed is None or p.id in allowed)
                raise CallerRoutingError(
                    f"{CALLER_KEYS['max_cost'][0]}: ${caller.max_cost:g} is below the cheapest allowed deployment's "
                    f"estimated cost ${cheapest:.6f} for this request ({exc})"
                ) from None
        return caller

    def check_or_400(self, data: Mapping[str, Any]) -> None:
        """`check_request` for a request to a routed group, as an HTTP 400 naming the value."""
        if not self.routes(str(data.get("model"))):
            return
        from fastapi import HTTPException

        from .router_caller import proxy_router

        group = str(data.get("model"))
        deployments = [d for d in proxy_router().model_list if d.get("model_name") == group]
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
        caller = caller_routing(group, routing, kwargs, healthy) if routing.caller_may_set else CallerRouting()
        if len(healthy) < 2 and caller.candidates is None and caller.max_cost is None:
            return healthy
        metadata = _metadata(request_kwargs)
        previous = metadata.get(DECISION_KEY)
        started = time.perf_counter()
        if isinstance(previous, dict) and previous.get("group") == group and "estimate" in previous:
            estimate = _estimate_from(previous["estimate"])  # a retry: the text did not change
        else:
            estimate = self.model.estimate_of(messages or [])  # type: ignore[union-attr]
        classifier_us = (time.perf_counter() - started) * 1e6
        profiles = [profile_for(d, group) for d in healthy]
        by_id = {p.id: d for p, d in zip(profiles, healthy, strict=True)}
        learned = self.learning.for_group(group, routing, messages) if self.learning is not None else None
        try:
            decision = decide(
                self.model,
                routing,
                profiles,
                estimate,
                messages,
                kwargs.get("max_tokens") or kwargs.get("max_completion_tokens"),
                caller,
                allowed_ids(caller, healthy),
                learned.success if learned is not None else None,
            )
        except NoCandidate as exc:
            import litellm

            raise litellm.BadRequestError(
                message=f"routed group {group!r}: the caller's limits leave no healthy deployment ({exc})",
                model=group,
                llm_provider="litellm_fusion",
            ) from None
        if learned is not None and self.learning is not None and estimate is not None:
            prompt, output = estimate_prompt_tokens(messages), _output_tokens(kwargs, routing)
            decision = self.learning.explore(decision, learned, profiles, prompt, output)
        audit = None
        if routing.audit is not None and self.audits is not None:  # live audits (adapter/audit_routing.py)
            from .audit_routing import guard_route

            limits = allowed_ids(caller, healthy) or {p.id for p in profiles}
            success = learned.success if learned is not None else None

            def redecide(suspended: set[str]) -> Decision:
                tokens = kwargs.get("max_tokens") or kwargs.get("max_completion_tokens")
                return decide(
                    self.model, routing, profiles, estimate, messages, tokens, caller, limits - suspended, success
                )

            decision, audit = guard_route(
                self.audits.book, group, routing.audit, profiles, decision, messages, redecide
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
    from ..routing.model import Estimate

    return None if stored is None else Estimate(*stored)


def routing_headers(metadata: Mapping[str, Any] | None) -> dict[str, str] | None:
    record = (metadata or {}).get(DECISION_KEY)
    if not isinstance(record, dict):
        return None
    difficulty = record.get("difficulty")
    slope = record.get("slope")
    p = record.get("p_success", {}).get(record["deployment"])
    caller = record.get("caller") or {}
    applied = "; ".join(f"{k}={','.join(v) if isinstance(v, list) else v}" for k, v in caller.items()) or "none"
    learning = record.get("learning")
    extra = {"x-litellm-fusion-route-learning": describe(learning)} if isinstance(learning, dict) else {}
    audit = record.get("audit") if isinstance(record.get("audit"), dict) else None
    return {
        **(route_audit_headers(audit) if audit is not None else {}),
        "x-litellm-fusion-route-group": record["group"],
        "x-litellm-fusion-route-deployment": record["deployment"],
        "x-litellm-fusion-route-mode": record["mode"],
        "x-litellm-fusion-route-difficulty": "none" if difficulty is None else f"{difficulty:.4f}",
        "x-litellm-fusion-route-slope": "none" if slope is None else f"{slope:.4f}",
        "x-litellm-fusion-route-p-success": "none" if p is None else f"{p:.4f}",
        "x-litellm-fusion-route-candidates": ",".join(record["candidates"]),
        "x-litellm-fusion-route-caller": " ".join(applied.split())[:300],
        "x-litellm-fusion-route-classifier-us": f"{record['classifier_us']:.1f}",
        "x-litellm-fusion-route-reason": " ".join(str(record["reason"]).split())[:300],
        **extra,
    }
