"""Every read of the proxy's Router: its deployments, its model names and its caches.

The plugin reads the Router LiteLLM built from the proxy's `model_list` (`litellm.proxy.proxy_server.llm_router`)
to find a fusion model's config, price and profile deployments, route, reserve budgets and reuse the Router's
Redis client. Every one of those reads goes through this module; the other adapter modules take the Router object
(`proxy_router()`) and hand it to the functions here, never touching its members. Calls made *through* the Router
(`Router.acompletion`, adapter/proxy_access/router_caller.py and adapter/audit/audit_calls.py) are not reads and stay
where they are.

What each function reads, on LiteLLM 1.102.4 - 1.108.7 (the supported range, docs/compatibility.md):

- `deployments`, `group_deployments`: `Router.model_list`, the resolved deployment dicts (`model_name`,
  `litellm_params`, `model_info` with its `id`);
- `deployment_by_id`: `Router.get_model_info(id)`, an O(1) lookup of that list (the same dict object);
- `deployment_params`: `Router.get_deployment(model_id=...)`, the typed `Deployment`;
- `model_names`, `known_names`: `Router.get_model_names()` and `Router.model_group_alias`;
- `router_redis_cache`: `Router.cache.redis_cache`, the RedisCache LiteLLM builds from `router_settings.redis_*`;
- `priced_at`: a view of the Router for LiteLLM's own budget reservation, which reads a model's price through
  `Router.cached_model_group_info` and `Router.get_model_list` (adapter/budgets/budget_reservation.py).

**LiteLLM 1.109+.** The Router runs on a Rust core and deprecates `model_list`, `get_deployment`, `get_model_info`
and `cache` in favour of `Router.registry()` (`registry().deployment(id)`, `registry().deployment_dict(id)`, the
deployment list) and `Router.select()`; the deprecated members still work there, with a warning. When a LiteLLM
with the Rust core becomes installable, this is the one file to change: read through `registry()` where the
Router has it, keep the members above for older versions, and check where the Redis client moved (the judge cache
reports `unavailable` until then, never an error). Nothing else in the package reads the Router. Do not add reads
of the deprecated members anywhere else.

Not the Router, so read where they are used: the config's `model_list` at start-up and in the CLI
(adapter/startup.py, cli.py, cli_audit.py: the YAML's list), and LiteLLM's cost map (`litellm.get_model_info(model=)`,
adapter/proxy_access/deployment_profiles.py and adapter/startup.py).
"""

from __future__ import annotations

from typing import Any


def proxy_router() -> Any:
    """The running proxy's Router (read at call time: the proxy may rebuild it)."""
    from litellm.proxy import proxy_server

    router = proxy_server.llm_router
    if router is None:
        raise RuntimeError("litellm_fusion needs a LiteLLM proxy with a model_list (llm_router is not set)")
    return router


def deployments(router: Any) -> list[dict[str, Any]]:
    """Every deployment of the Router, as LiteLLM keeps it (the same dicts: edits in place show up)."""
    return router.model_list


def group_deployments(router: Any, model_name: str) -> list[dict[str, Any]]:
    """The deployments of one model_name (a routed group, a panel member's name), in the Router's order."""
    return [d for d in router.model_list if d.get("model_name") == model_name]


def deployment_by_id(router: Any, model_id: str) -> dict[str, Any] | None:
    """The deployment with this `model_info.id` (None: no such deployment), in O(1)."""
    return router.get_model_info(model_id)


def deployment_params(router: Any, model_id: str) -> tuple[str, dict[str, Any]]:
    """(model_name, litellm_params without unset fields) of the deployment with this id, as LiteLLM typed them."""
    deployment = router.get_deployment(model_id=model_id)
    return deployment.model_name, deployment.litellm_params.model_dump(exclude_none=True)


def model_names(router: Any) -> set[str]:
    """The model_names the Router serves."""
    return set(router.get_model_names())


def known_names(router: Any) -> set[str]:
    """What a config may name as a model: the Router's model_names and its model_group_alias names."""
    return model_names(router) | set(router.model_group_alias or {})


def router_redis_cache() -> Any | None:
    """The Router's RedisCache (`router_settings.redis_*`), or None: not in a proxy, no Redis configured, or a
    Router that does not keep one (LiteLLM's Rust router backend raises on `.cache` rather than lacking it)."""
    try:
        from litellm.proxy import proxy_server

        router = proxy_server.llm_router
    except Exception:  # noqa: BLE001 - not in a proxy
        router = None
    try:
        return getattr(getattr(router, "cache", None), "redis_cache", None)
    except Exception:  # noqa: BLE001
        return None


class _CostInfo:
    def __init__(self, estimate: float) -> None:
        self.estimate = estimate

    def model_dump(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {
            "input_cost_per_token": 0.0,
            "output_cost_per_token": self.estimate,
            "max_input_tokens": 0,
            "max_output_tokens": 1,
            "mode": "chat",
        }


class _PricedAtEstimate:
    """The proxy's Router, except that whatever model LiteLLM's reservation prices costs `estimate` per output
    token and nothing per input token, with no per-deployment tiered pricing."""

    def __init__(self, router: Any, estimate: float) -> None:
        self._router = router
        self._info = _CostInfo(estimate)

    def cached_model_group_info(self, model_group: str) -> _CostInfo:
        return self._info

    def get_model_list(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._router, name)


def priced_at(router: Any, estimate: float) -> Any:
    """The Router as LiteLLM's budget reservation should see it: every model costs $0 per input token and
    `estimate` per output token, for a request of at most one output token (adapter/budgets/budget_reservation.py)."""
    return _PricedAtEstimate(router, estimate)
