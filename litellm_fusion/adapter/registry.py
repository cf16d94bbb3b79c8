"""Find the fusion config of the deployment the Router picked for this request.

The options come from the Router's own deployment (looked up by the model id LiteLLM put in the
request metadata), never from the request body, so a client cannot swap the panel or judge.
"""

from __future__ import annotations

from typing import Any

from ..config.fusion import FusionConfigError, FusionModelConfig, parse_fusion_params
from ..config.validate import cross_check, is_fusion_deployment

_cache: dict[tuple[object, ...], tuple[FusionModelConfig, dict[str, Any]]] = {}


def config_for(router: Any, metadata: dict[str, Any], model: str) -> tuple[FusionModelConfig, dict[str, Any]]:
    """The fusion config of the deployment serving this call, and that deployment's raw litellm_params.

    Cached per deployment object (LiteLLM replaces the object when a deployment is updated), so the
    request path does no pydantic work after the first request.
    """
    model_id = (metadata.get("model_info") or {}).get("id")
    deployment = router.get_deployment(model_id=model_id) if model_id else None
    key: tuple[object, ...] = (model_id, id(deployment.litellm_params)) if deployment is not None else ("model", model)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    if deployment is not None:
        name, params = deployment.model_name, deployment.litellm_params.model_dump(exclude_none=True)
    else:  # not served through a Router deployment (e.g. litellm.acompletion called directly)
        name, params = _by_model_string(router, model)
    config = parse_fusion_params(name, params)
    fusion_names = {e["model_name"] for e in router.model_list if is_fusion_deployment(e.get("litellm_params") or {})}
    problems = cross_check(config, set(router.get_model_names()) | set(router.model_group_alias or {}), fusion_names)
    if problems:
        raise FusionConfigError("; ".join(problems))
    _cache[key] = (config, params)
    return config, params


def _by_model_string(router: Any, model: str) -> tuple[str, dict[str, Any]]:
    for entry in router.model_list:
        params = entry.get("litellm_params") or {}
        if is_fusion_deployment(params) and params["model"].split("/", 1)[1] == model:
            return entry["model_name"], dict(params)
    raise FusionConfigError(f"no fusion deployment 'fusion/{model}' in the proxy's model_list")
