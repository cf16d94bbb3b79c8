"""The worst-case cost of a request the plugin serves, from its body as the proxy received it (before any call).

The estimator is `max_cost_per_request`'s (engine/cost_cap.py): every panel member for every round and the judge
for fusion, every tier for a cascade, the dearest of fusing and either single model for a gated model; for a routed
group, the dearest deployment the caller's limits allow. Prompt tokens are counted by the one estimator
(adapter/proxy_access/prompt_tokens.py), tool definitions included; output is `max_tokens` (or `max_completion_tokens` /
`max_output_tokens`, else the deployment's `max_tokens`), and without one the cost cap's assumed output for fusion and the group's `expected_output_tokens` for a routed group.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...config.fusion import FusionConfigError
from ...config.routing import GroupRouting
from ...config.validate import is_fusion_deployment
from ...engine.cost_cap import request_worst_case
from ...routing.strategy import NoCandidate, caller_limits
from ..proxy_access.deployment_profiles import model_prices, profile_for
from ..proxy_access.fusion_config_lookup import config_for
from ..proxy_access.prompt_tokens import of_request
from ..proxy_access.router_access import deployments, group_deployments
from ..routing.routing_hook import CallerRoutingError, allowed_ids, caller_routing

OUTPUT_FIELDS = ("max_tokens", "max_completion_tokens", "max_output_tokens")


def requested_output(*sources: Mapping[str, Any]) -> int | None:
    """The output cap the request (or, after it, the deployment) sets, if any."""
    for source in sources:
        for field in OUTPUT_FIELDS:
            value = source.get(field)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
    return None


def fusion_estimate(router: Any, model_name: str, data: Mapping[str, Any]) -> float | None:
    """The dearest of the fusion deployments named `model_name` (None: none is one)."""
    worst: float | None = None
    tokens = of_request(data)
    for entry in deployments(router):
        params = entry.get("litellm_params") or {}
        if entry.get("model_name") != model_name or not is_fusion_deployment(params):
            continue
        metadata = {"model_info": {"id": (entry.get("model_info") or {}).get("id")}}
        try:
            config, deployment_params = config_for(router, metadata, str(params["model"]).split("/", 1)[1])
        except FusionConfigError:
            continue  # the handler answers this request with a 400 naming the problem
        estimate = request_worst_case(
            config, tokens, requested_output(data, deployment_params), lambda name: model_prices(router, name)
        )
        worst = estimate if worst is None else max(worst, estimate)
    return worst


def routed_estimate(router: Any, group: str, routing: GroupRouting, data: Mapping[str, Any]) -> float | None:
    """The dearest deployment of the routed group that the caller's candidates and max_cost leave."""
    members = group_deployments(router, group)
    if not members:
        return None
    try:
        caller = caller_routing(group, routing, data, members)
        profiles = [profile_for(d, group) for d in members]
        tokens, output = of_request(data), requested_output(data) or routing.expected_output_tokens
        kept, _ = caller_limits(profiles, allowed_ids(caller, members), caller.max_cost, tokens, output)
    except (CallerRoutingError, NoCandidate):
        return None  # the routing hook answers this request with a 400 naming the value
    return max(p.request_cost(tokens, output) for p in kept)
