"""The CustomLogger users list in `litellm_settings.callbacks`: fusion spend fixes and complexity routing."""

from __future__ import annotations

import logging
from typing import Any

from litellm.integrations.custom_logger import CustomLogger

from ..config.settings import PluginSettings
from ..observability.metrics import metrics
from .audit.audit_calls import AUDIT_CALL_KEY
from .audit.audit_service import AuditService
from .budgets.request_reservation import RequestReservations
from .fusion.handler import AUDIT_KEY, COST_CAP_KEY, GATE_KEY, LEARNING_KEY, RESULT_KEY, settle_disconnect
from .guards import prometheus_guard, stream_finalizer_guard
from .learning import LearningRuntime
from .proxy_access import request_metadata
from .proxy_access.request import RequestError, check_body
from .proxy_access.router_caller import INNER_CALL_KEY, is_inner_call
from .routing.routing_decision import settle_cascade
from .routing.routing_hook import RoutingHook
from .routing.routing_record import DECISION_KEY, routing_headers

# Metadata keys only the plugin writes; a client's request metadata may not carry them.
RESERVED_METADATA_KEYS = (
    RESULT_KEY,
    DECISION_KEY,
    INNER_CALL_KEY,
    GATE_KEY,
    COST_CAP_KEY,
    AUDIT_KEY,
    AUDIT_CALL_KEY,
    LEARNING_KEY,
)
RESERVED_SPEND_KEYS = ("fusion", "routing")
log = logging.getLogger("litellm_fusion")


class FusionCallbacks(CustomLogger):
    def __init__(
        self,
        settings: PluginSettings | None = None,
        fusion_models: frozenset[str] = frozenset(),
        audits: AuditService | None = None,
        learning: LearningRuntime | None = None,
    ) -> None:
        super().__init__()
        prometheus_guard.install()
        stream_finalizer_guard.install()  # Python 3.11: LiteLLM's stream finalizer can segfault the proxy
        self.audits = audits or AuditService(settings or PluginSettings(), {})
        self.routing = RoutingHook((settings or PluginSettings()).routing, self.audits, learning)
        self.fusion_models = fusion_models
        self.reservations = RequestReservations(fusion_models, self.routing.groups)
        self.metrics = metrics()

    async def async_pre_call_hook(self, user_api_key_dict: Any, cache: Any, data: dict, call_type: Any) -> dict:
        """A fusion reply is not itself stored in or read from LiteLLM's response cache: its panel
        and judge calls are (response cache, judge cache), so a repeat is rebuilt in milliseconds at
        $0 with its per-request metadata intact.

        A fusion request is never retried as a whole (its inner calls are, by the Router): a retry would run and bill
        the whole panel again. Whatever the client sent (`num_retries` / `max_retries` in the body, the
        `x-litellm-num-retries` header LiteLLM turns into `num_retries`), the request runs with num_retries 0, which
        also keeps the Router's own num_retries and retry policies off it. Its fields are checked as the caller sent
        them (adapter/proxy_access/request.py `check_body`): a 400 naming the field before any call."""
        if data.get("model") in self.fusion_models:
            data["cache"] = {**(data.get("cache") or {}), "no-cache": True, "no-store": True}
            data.pop("max_retries", None)
            data["num_retries"] = 0
            try:
                check_body(str(data["model"]), data)
            except RequestError as exc:
                from fastapi import HTTPException

                raise HTTPException(status_code=400, detail={"error": str(exc)}) from None
        _strip_reserved(data)  # a client's request metadata must not pose as the plugin's records
        self.routing.check_or_400(data)  # per-request routing values: allowed and valid, else 400
        # The request's worst case held against its budgets (LiteLLM's reservation), else LiteLLM's budget error
        await self.reservations.take(user_api_key_dict, data)
        return data

    async def async_post_call_response_headers_hook(
        self,
        data: dict,
        user_api_key_dict: Any,
        response: Any,
        request_headers: dict[str, str] | None = None,
        litellm_call_info: dict[str, object] | None = None,
    ) -> dict[str, str] | None:
        """The routing decision as response headers."""
        return routing_headers(request_metadata.read(data))

    async def async_logging_hook(self, kwargs: dict[str, Any], result: Any, call_type: str) -> tuple[dict, Any]:
        """Runs before every success callback. For a fusion call, make the logged cost the summed cost.

        Non-streaming replies already carry it (hidden response_cost); a finished stream is priced by
        LiteLLM at the virtual model's price (0), so the sum is set here for the spend row and Prometheus.
        """
        litellm_params = kwargs.get("litellm_params") or {}
        metadata = request_metadata.handler_written(litellm_params)
        if metadata.get("client_disconnected") and _is_outer_fusion(kwargs, metadata):
            # LiteLLM bills a stream whose client hung up: stop what still runs, charge what finished.
            settle_disconnect(kwargs.get("litellm_call_id") or litellm_params.get("litellm_call_id"))
        totals = metadata.get(RESULT_KEY)
        # Only the fusion handler sets the totals (a client's copy is stripped in async_pre_call_hook).
        if isinstance(totals, dict) and _is_outer_fusion(kwargs, metadata):
            cost = float(totals["cost"])
            kwargs["response_cost"] = cost
            standard = kwargs.get("standard_logging_object")
            if isinstance(standard, dict):
                standard["response_cost"] = cost
        if _is_outer_fusion(kwargs, metadata):
            settle_cascade(kwargs)  # a cascade's savings in LiteLLM's own routing record and savings tables
        return kwargs, result

    # ---- Prometheus metrics (observability/metrics.py), recorded when a call has been logged ----
    async def async_log_success_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        """Every successful call, once (a stream: once, at its end). The outer fusion call records the
        fusion metrics; any call a routing decision was made for (a direct call to a routed group, or a
        fusion member call to one) records that decision."""
        self.metrics.record(self._record, kwargs, True)
        self._audit(kwargs, response_obj)  # live audits start now: the reply was sent

    async def async_log_failure_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        """A failed fusion request (too few members answered) and a failed routed call (each attempt)."""
        self.metrics.record(self._record, kwargs, False)
        self.audits.after_failure(kwargs)

    def _audit(self, kwargs: dict[str, Any], response_obj: Any) -> None:
        """Start what audits this call gives; a problem here is logged, never raised into LiteLLM's logging."""
        try:
            metadata = request_metadata.logged(kwargs)
            route = self._routing_record(kwargs, metadata)
            self.audits.after_success(kwargs, response_obj, route)
        except Exception:
            log.exception("litellm_fusion: could not start the audits of a call")

    def _record(self, kwargs: dict[str, Any], ok: bool) -> None:
        metadata = request_metadata.logged(kwargs)
        fusion = _fusion_entry(kwargs, metadata, ok)
        if fusion is not None:
            self.metrics.fusion(fusion, _model_names())
        record = self._routing_record(kwargs, metadata)
        if record is None:
            return
        if not ok:
            self.metrics.routing(record, ok=False)
            return
        standard = kwargs.get("standard_logging_object") or {}
        usage = _usage(standard)
        cost = standard.get("response_cost") if isinstance(standard, dict) else None
        if cost is None:
            cost = kwargs.get("response_cost")
        self.metrics.routing(
            record, ok=True, cost=float(cost or 0.0), prompt_tokens=usage[0], completion_tokens=usage[1]
        )

    def _routing_record(self, kwargs: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any] | None:
        """The decision this call was routed by: a routed group's record naming this very deployment
        (a retry on the last healthy deployment is not routed, and leaves the previous record behind)."""
        record = metadata.get(DECISION_KEY)
        if not isinstance(record, dict) or not self.routing.routes(str(record.get("group"))):
            return None
        if metadata.get("model_group") not in (None, record["group"]):
            return None
        model_id = _model_id(kwargs, metadata)
        if model_id is not None and model_id != record.get("deployment_id"):
            return None
        return record


class RoutingCallbacks(FusionCallbacks):
    """FusionCallbacks plus complexity routing. Used only when `litellm_fusion.routing` names a group: a callback
    that filters deployments makes LiteLLM 1.109+ keep its Python router instead of the Rust core (docs/
    compatibility.md), so a proxy that only serves fusion models does not carry the hook."""

    # LiteLLM (1.108) finds a callback's hooks in its class's own __dict__, not inherited: restate them here.
    async_pre_call_hook = FusionCallbacks.async_pre_call_hook
    async_post_call_response_headers_hook = FusionCallbacks.async_post_call_response_headers_hook
    async_logging_hook = FusionCallbacks.async_logging_hook
    async_log_success_event = FusionCallbacks.async_log_success_event
    async_log_failure_event = FusionCallbacks.async_log_failure_event

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


def _strip_reserved(data: dict) -> None:
    for metadata in request_metadata.all_dicts(data):
        for reserved in RESERVED_METADATA_KEYS:
            metadata.pop(reserved, None)
        spend = metadata.get("spend_logs_metadata")
        if isinstance(spend, dict) and any(k in spend for k in RESERVED_SPEND_KEYS):
            metadata["spend_logs_metadata"] = {k: v for k, v in spend.items() if k not in RESERVED_SPEND_KEYS}


def _fusion_entry(kwargs: dict[str, Any], metadata: dict[str, Any], ok: bool) -> dict[str, Any] | None:
    """The fusion record of an outer fusion call (never of its inner calls)."""
    if not _is_outer_fusion(kwargs, metadata):
        return None
    spend = metadata.get("spend_logs_metadata")
    entry = spend.get("fusion") if isinstance(spend, dict) else None
    if not isinstance(entry, dict):
        return None
    if ok:
        return entry if RESULT_KEY in metadata and entry.get("outcome") != "failed" else None
    return entry if entry.get("outcome") in ("failed", "disconnected") else None


def _is_outer_fusion(kwargs: dict[str, Any], metadata: dict[str, Any]) -> bool:
    """A call the fusion handler served (or one with no provider recorded), not one of its inner calls."""
    if is_inner_call(metadata):
        return False
    provider = (kwargs.get("litellm_params") or {}).get("custom_llm_provider") or kwargs.get("custom_llm_provider")
    return provider in (None, "fusion")


def _model_id(kwargs: dict[str, Any], metadata: dict[str, Any]) -> str | None:
    for info in ((kwargs.get("litellm_params") or {}).get("model_info"), metadata.get("model_info")):
        if isinstance(info, dict) and info.get("id"):
            return str(info["id"])
    return None


def _usage(standard: Any) -> tuple[int, int]:
    if isinstance(standard, dict) and (standard.get("prompt_tokens") or standard.get("completion_tokens")):
        return int(standard.get("prompt_tokens") or 0), int(standard.get("completion_tokens") or 0)
    return 0, 0


def _model_names() -> set[str] | None:
    """The proxy's model_names (labels are kept to these); None outside a proxy."""
    try:
        from .proxy_access.router_access import model_names, proxy_router

        return model_names(proxy_router())
    except Exception:  # noqa: BLE001
        return None
