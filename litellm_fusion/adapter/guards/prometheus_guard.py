"""Keep LiteLLM's Prometheus metrics from counting fusion's inner calls a second time.

The outer fusion call carries the caller's key and the summed cost, so it alone is counted in
`litellm_spend_metric`, `litellm_requests_metric` and the token counters. Inner calls have no key
(LiteLLM labels them hashed_api_key="None") and would add the same dollars again; their success
events are skipped for Prometheus only. LiteLLM has no per-callback switch for one call (`no-log`
would also switch off the Router's own cooldown accounting), so PrometheusLogger's success handler
is wrapped once, at class level, before or after the proxy instantiates it.
Failure events of inner calls are left alone: they carry no spend and show member failures.
"""

from __future__ import annotations

import functools
from typing import Any

from ..proxy_access.router_caller import is_inner_call

_MARK = "_litellm_fusion_guarded"


def install() -> bool:
    try:
        from litellm.integrations.prometheus import PrometheusLogger
    except Exception:  # noqa: BLE001 - prometheus_client not installed: nothing to guard
        return False
    original = PrometheusLogger.async_log_success_event
    if getattr(original, _MARK, False):
        return True

    @functools.wraps(original)
    async def guarded(self: Any, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any) -> Any:
        metadata = (kwargs.get("litellm_params") or {}).get("metadata")
        if is_inner_call(metadata):
            return None
        return await original(self, kwargs, response_obj, start_time, end_time)

    setattr(guarded, _MARK, True)
    PrometheusLogger.async_log_success_event = guarded  # type: ignore[method-assign]
    return True
