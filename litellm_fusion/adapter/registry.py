"""Find the fusion config of the deployment the Router picked for this request.

The options come from the Router's own deployment (looked up by the model id LiteLLM put in the
request metadata), never from the request body, so a client cannot swap the panel or judge.
"""

from __future__ import annotations

from typing import Any

from ..config.fusion import FusionConfigError, FusionModelConfig, parse_fusion_params
from ..config.validate import cross_check, is_fusion_deployment

_cache: dict[tuple[str, int], FusionModelConfig] = {}


def deployment_for(router: Any, metadata: dict[str, Any], model: str) -> tuple[str, dict[str, Any]]:
    """(model_name, litellm_params) of the fusion deployment serving this call."""
    model_id = (metadata.get("model_info") or {}).get("id")
    deployment = router.get_deployment(model_id=model_id) if model_id else None
    if deployment is not None:
        params = deployment.litellm_params.model_dump(exclude_none=True)
        return deployment.model_name, params
    # Not served through a Router deployment (e.g. litellm.acompletion called directly):
    # match the fusion model string among the Router's deployments.
    for entry in router.model_list:
        params = entry.get("litellm_params") or {}
        if is_fusion_deployment(params) and params["model"].split("/", 1)[1] == model:
            return entry["model_name"], dict(params)
    raise FusionConfigError(f"no fusion deployment 'fusion/{model}' in the proxy's model_list")


def config_for(router: Any, metadata: dict[str, Any], model: str) -> FusionModelConfig:
    name, params = deployment_for(router, metadata, model)
    key = (name, hash(repr(sorted(params.items(), key=lambda kv: kv[0]))))
    config = _cache.get(key)
    if config is None:
        config = parse_fusion_params(name, params)
        fusion_names = {e["model_name"] for e in router.model_list if is_fusion_deployment(e.get("litellm_params") or {})}
        problems = cross_check(config, set(router.get_model_names()) | set(router.model_group_alias or {}), fusion_names)
        if problems:
            raise FusionConfigError("; ".join(problems))
        _cache[key] = config
    return config
