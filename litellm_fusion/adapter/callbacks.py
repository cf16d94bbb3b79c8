"""The CustomLogger users list in `litellm_settings.callbacks`: fusion spend fixes and complexity routing."""

from __future__ import annotations

from typing import Any

from litellm.integrations.custom_logger import CustomLogger

from ..config.settings import PluginSettings
from . import prometheus_guard
from .handler import RESULT_KEY
from .routing_hook import RoutingHook, routing_headers


class FusionCallbacks(CustomLogger):
    def __init__(self, settings: PluginSettings | None = None, fusion_models: frozenset[str] = frozenset()) -> None:
        super().__init__()
        prometheus_guard.install()
        self.routing = RoutingHook((settings or PluginSettings()).routing)
        self.fusion_models = fusion_models

    async def async_pre_call_hook(self, user_api_key_dict: Any, cache: Any, data: dict, call_type: Any) -> dict:
        """A fusion reply is not itself stored in or read from LiteLLM's response cache: its panel
        and judge calls are (response cache, judge cache), so a repeat is rebuilt in milliseconds at
        $0 with its per-request metadata intact."""
        if data.get("model") in self.fusion_models:
            data["cache"] = {**(data.get("cache") or {}), "no-cache": True, "no-store": True}
        return data

    async def async_filter_deployments(
        self,
        model: str,
        healthy_deployments: list,
        messages: list | None,
        request_kwargs: dict | None = None,
        parent_otel_span: Any = None,
    ) -> list[dict]:
        """Complexity routing: narrow a routed group to the chosen deployment (others untouched)."""
        if not self.routing.routes(model):
            return healthy_deployments
        return self.routing.filter(model, healthy_deployments, messages, request_kwargs)

    async def async_post_call_response_headers_hook(
        self,
        data: dict,
        user_api_key_dict: Any,
        response: Any,
        request_headers: dict[str, str] | None = None,
        litellm_call_info: dict[str, object] | None = None,
    ) -> dict[str, str] | None:
        """The routing decision as response headers."""
        return routing_headers(data.get("metadata") or data.get("litellm_metadata"))

    async def async_logging_hook(self, kwargs: dict[str, Any], result: Any, call_type: str) -> tuple[dict, Any]:
        """Runs before every success callback. For a fusion call, make the logged cost the summed cost.

        Non-streaming replies already carry it (hidden response_cost); a finished stream is priced by
        LiteLLM at the virtual model's price (0), so the sum is set here for the spend row and Prometheus.
        """
        metadata = (kwargs.get("litellm_params") or {}).get("metadata") or {}
        totals = metadata.get(RESULT_KEY)
        if isinstance(totals, dict):
            cost = float(totals["cost"])
            kwargs["response_cost"] = cost
            standard = kwargs.get("standard_logging_object")
            if isinstance(standard, dict):
                standard["response_cost"] = cost
        return kwargs, result
