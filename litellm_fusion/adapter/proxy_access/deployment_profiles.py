"""Price, strength and context window of a LiteLLM deployment, for the routing strategy.

- Price: `model_info` / `litellm_params` `input_cost_per_token` and `output_cost_per_token`, else
  LiteLLM's cost map for `litellm_params.model`.
- Strength: `model_info.strength` (on the classifier's difficulty scale), else the built-in default
  for well-known models (`litellm_fusion/routing/strengths.py`, with sources).
- Context window: `model_info.max_input_tokens`, else LiteLLM's cost map, else unknown (no limit).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import litellm

from ...config.routing import RoutingConfigError
from ...routing.strategy import DeploymentProfile
from .router_access import group_deployments

_profiles: dict[str, tuple[Mapping[str, Any], DeploymentProfile]] = {}  # id -> (deployment, profile)


def _cost_map_info(model: str) -> Mapping[str, Any]:
    try:
        return litellm.get_model_info(model=model) or {}
    except Exception:  # noqa: BLE001 - LiteLLM raises for unmapped models
        return {}


def _first(key: str, *sources: Mapping[str, Any]) -> Any:
    for source in sources:
        value = source.get(key)
        if value is not None:
            return value
    return None


def build_profile(deployment: Mapping[str, Any], group: str) -> DeploymentProfile:
    """Raises RoutingConfigError naming the group, the deployment and the missing field."""
    from ...routing.strengths import default_strength

    params = deployment.get("litellm_params") or {}
    info = deployment.get("model_info") or {}
    model = str(params.get("model", ""))
    mapped = _cost_map_info(model)
    input_cost = _first("input_cost_per_token", info, params, mapped)
    output_cost = _first("output_cost_per_token", info, params, mapped)
    if input_cost is None and output_cost is None:
        raise RoutingConfigError(
            f"routed group {group!r}: deployment {model!r} has no price: set model_info.input_cost_per_token "
            "and model_info.output_cost_per_token (it is not in LiteLLM's cost map)"
        )
    strength = info.get("strength")
    if strength is None:
        strength = default_strength(model)
    if strength is None:
        raise RoutingConfigError(
            f"routed group {group!r}: deployment {model!r} has no strength: set model_info.strength "
            "(no built-in default for this model; see docs/routing.md)"
        )
    try:
        strength = float(strength)
    except (TypeError, ValueError):
        raise RoutingConfigError(
            f"routed group {group!r}: deployment {model!r}: model_info.strength must be a number"
        ) from None
    window = _first("max_input_tokens", info, mapped)
    return DeploymentProfile(
        id=str(info.get("id", model)),
        model=model,
        input_cost=float(input_cost or 0.0),
        output_cost=float(output_cost or 0.0),
        strength=strength,
        max_input_tokens=int(window) if window else None,
    )


def profile_for(deployment: Mapping[str, Any], group: str) -> DeploymentProfile:
    """Cached by deployment id and checked against the deployment itself (the Router's deployment dict):
    a deployment edited in place keeps its id but gets a new entry, whose profile is built again."""
    key = str((deployment.get("model_info") or {}).get("id") or id(deployment))
    cached = _profiles.get(key)
    if cached is not None and (cached[0] is deployment or cached[0] == deployment):
        return cached[1]
    profile = build_profile(deployment, group)
    _profiles[key] = (deployment, profile)
    return profile


def deployment_prices(deployment: Mapping[str, Any]) -> tuple[float, float]:
    """($/input token, $/output token) of one deployment; unpriced counts 0 (the plugin warns at start-up)."""
    params = deployment.get("litellm_params") or {}
    info = deployment.get("model_info") or {}
    mapped = _cost_map_info(str(params.get("model", "")))
    return (
        float(_first("input_cost_per_token", info, params, mapped) or 0.0),
        float(_first("output_cost_per_token", info, params, mapped) or 0.0),
    )


def model_prices(router: Any, model_name: str) -> tuple[float, float]:
    """Worst-case ($/input token, $/output token) of a model_name: its most expensive deployment."""
    worst = (0.0, 0.0)
    for deployment in group_deployments(router, model_name):
        worst = max(worst, deployment_prices(deployment), key=sum)
    return worst


def model_strength(model_list: list[dict[str, Any]], model_name: str) -> float | None:
    """Strength of a model_name: its strongest deployment's (model_info.strength or built-in default)."""
    from ...routing.strengths import default_strength

    found: list[float] = []
    for deployment in model_list:
        if deployment.get("model_name") != model_name:
            continue
        info = deployment.get("model_info") or {}
        value = info.get("strength")
        if value is None:
            value = default_strength(str((deployment.get("litellm_params") or {}).get("model", "")))
        if value is not None:
            found.append(float(value))
    return max(found) if found else None
