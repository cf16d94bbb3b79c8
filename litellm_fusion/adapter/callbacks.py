"""The CustomLogger users list in `litellm_settings.callbacks`: spend fixes for fusion calls."""

from __future__ import annotations

from typing import Any

from litellm.integrations.custom_logger import CustomLogger

from . import prometheus_guard
from .handler import RESULT_KEY


class FusionCallbacks(CustomLogger):
    def __init__(self) -> None:
        super().__init__()
        prometheus_guard.install()

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
