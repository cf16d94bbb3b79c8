"""Every request the plugin serves (a fusion model, cascade or gated model, or a routed group) reserves its own
worst-case estimate through LiteLLM's budget reservation, in the proxy's pre-call hook: after LiteLLM's auth and
before any provider call. A reservation LiteLLM made itself for the request (a routed group, or a fusion deployment
an operator priced by hand) is given back first: the plugin's estimate replaces it, it is not added to it.

A request no budget has room for is refused here with LiteLLM's own `budget_exceeded` error (HTTP 422 on LiteLLM
>= 1.105, 429 before; `litellm_settings.budget_exceeded_status_code`), naming the budget, before anything runs."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ...config.routing import GroupRouting
from ..proxy_access.router_access import proxy_router
from .budget_reservation import BudgetRefused, identity_metadata, install, release, reservation_enabled, reserve_for
from .request_estimate import fusion_estimate, routed_estimate

log = logging.getLogger("litellm_fusion")


def _end_user_id(auth: Any, data: Mapping[str, Any]) -> str | None:
    if getattr(auth, "end_user_id", None):
        return str(auth.end_user_id)
    for metadata in identity_metadata(data):
        if metadata.get("user_api_key_end_user_id"):
            return str(metadata["user_api_key_end_user_id"])
    from litellm.proxy.auth.auth_utils import get_end_user_id_from_request_body

    headers = (data.get("proxy_server_request") or {}).get("headers") or {}
    return get_end_user_id_from_request_body(dict(data), dict(headers))


def _tags(data: Mapping[str, Any]) -> list[str]:
    from litellm.proxy.common_utils.http_parsing_utils import get_tags_from_request_body

    return list(get_tags_from_request_body(request_body=data))


def _refusal(refused: BudgetRefused) -> Exception:
    """LiteLLM's refusal as its auth renders one: a `budget_exceeded` error with the budget error's status."""
    from litellm.proxy._types import ProxyErrorTypes, ProxyException

    error = refused.error
    return ProxyException(
        message=str(getattr(error, "message", error)),
        type=ProxyErrorTypes.budget_exceeded,
        param=None,
        code=getattr(error, "status_code", 429),
    )


class RequestReservations:
    def __init__(self, fusion_models: frozenset[str], routing: Mapping[str, GroupRouting]) -> None:
        self.fusion_models = fusion_models
        self.routing = routing

    def serves(self, model: Any) -> bool:
        return isinstance(model, str) and (model in self.fusion_models or model in self.routing)

    def estimate(self, data: Mapping[str, Any]) -> float | None:
        """The request's worst case (None: not one the plugin serves, or one it will refuse with a 400)."""
        model = data.get("model")
        if not self.serves(model):
            return None
        router = proxy_router()
        if model in self.fusion_models:
            return fusion_estimate(router, str(model), data)
        return routed_estimate(router, str(model), self.routing[str(model)], data)

    async def take(self, auth: Any, data: Mapping[str, Any]) -> None:
        """Reserve the request's worst case, replacing what LiteLLM reserved for it; raise LiteLLM's budget error
        (nothing held) when a budget has no room for it."""
        if auth is None or not self.serves(data.get("model")) or not reservation_enabled():
            return
        try:
            estimate = self.estimate(data)
        except Exception:  # an estimate that cannot be made leaves LiteLLM's own reservation as it is
            log.warning(
                "litellm_fusion: no worst-case estimate for %r; budget reservation left to LiteLLM",
                data.get("model"),
                exc_info=True,
            )
            return
        if estimate is None:
            return
        await release(getattr(auth, "budget_reservation", None))
        try:
            reservation = await reserve_for(
                auth, estimate, model=str(data["model"]), tags=_tags(data), end_user_id=_end_user_id(auth, data)
            )
        except BudgetRefused as refused:
            install(auth, data, None)
            raise _refusal(refused) from None
        install(auth, data, reservation)
