"""Find the fusion config of the deployment the Router picked for this request (the handler's and the budget
reservation's lookup; this module was `registry.py`).

The options come from the Router's own deployment (looked up by the model id LiteLLM put in the
request metadata), never from the request body, so a client cannot swap the panel or judge.
"""

from __future__ import annotations

from typing import Any

from ...config.fusion import FusionConfigError, FusionModelConfig, parse_fusion_params
from ...config.validate import cross_check, is_fusion_deployment
from .router_access import deployment_by_id, deployment_params, deployments, known_names

# model id (or "model:<name>" off-Router) -> (the Router's entry or None, config, params)
_cache: dict[str, tuple[dict[str, Any] | None, FusionModelConfig, dict[str, Any]]] = {}


def config_for(router: Any, metadata: dict[str, Any], model: str) -> tuple[FusionModelConfig, dict[str, Any]]:
    """The fusion config of the deployment serving this call, and that deployment's raw litellm_params.

    Cached per model id and checked against the Router's stored entry (`deployment_by_id`, an O(1)
    lookup of the Router's deployment dict), so the request path does no pydantic work after the first request and
    a deployment edited in place (same id, new entry) is parsed again.
    """
    model_id = (metadata.get("model_info") or {}).get("id")
    entry = deployment_by_id(router, model_id) if model_id else None
    key = str(model_id) if entry is not None else f"model:{model}"
    cached = _cache.get(key)
    if cached is not None and (cached[0] is entry or cached[0] == entry):
        return cached[1], cached[2]
    if entry is not None:
        name, params = deployment_params(router, model_id)
    else:  # not served through a Router deployment (e.g. litellm.acompletion called directly)
        name, params = _by_model_string(router, model)
    config = parse_fusion_params(name, params)
    fusion_names = {e["model_name"] for e in deployments(router) if is_fusion_deployment(e.get("litellm_params") or {})}
    problems = cross_check(config, known_names(router), fusion_names)
    if problems:
        raise FusionConfigError("; ".join(problems))
    _cache[key] = (entry, config, params)
    return config, params


def _by_model_string(router: Any, model: str) -> tuple[str, dict[str, Any]]:
    for entry in deployments(router):
        params = entry.get("litellm_params") or {}
        if is_fusion_deployment(params) and params["model"].split("/", 1)[1] == model:
            return entry["model_name"], dict(params)
    raise FusionConfigError(f"no fusion deployment 'fusion/{model}' in the proxy's model_list")
