"""The `fusion` provider: a LiteLLM CustomLLM whose calls run the fusion engine over the proxy's Router."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import litellm
from litellm.llms.custom_llm import CustomLLM
from litellm.types.utils import GenericStreamingChunk, ModelResponse, Usage

from ..config.fusion import PROVIDER, FusionConfigError, FusionModelConfig
from ..config.settings import PluginSettings
from ..engine import FusionEngine, FusionError, FusionResult
from ..engine.judge import JudgeCacheUse
from ..observability.metadata import failure_metadata, reply_details, response_headers, set_spend_entry, spend_metadata
from .policies import apply_cost_cap, complexity_gate
from .redis_judge_store import JudgeStores
from .registry import config_for
from .request import RequestError, parse_request
from .response import fill_response, stream_chunks
from .router_caller import RouterCaller, proxy_router

# Where the handler leaves the request's totals for the logging hook (same dict LiteLLM logs from).
RESULT_KEY = "litellm_fusion_result"
COST_CAP_KEY = "litellm_fusion_cost_cap"
GATE_KEY = "litellm_fusion_gate"


class FusionHandler(CustomLLM):
    def __init__(self, settings: PluginSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or PluginSettings()
        self.stores = JudgeStores(self.settings.judge_cache)

    def _judge_cache(self, config: FusionModelConfig) -> JudgeCacheUse | None:
        if config.judge_cache_ttl == "off":
            return None
        store = self.stores.current()
        if store is None:
            return None
        return JudgeCacheUse(store, config.judge_cache_ttl or self.settings.judge_cache.ttl)

    async def acompletion(  # type: ignore[override]
        self, model: str, messages: list, *args: Any, model_response: ModelResponse, optional_params: dict,
        litellm_params: dict | None = None, **kwargs: Any,
    ) -> ModelResponse:
        config, result = await self._run(model, messages, optional_params, litellm_params, kwargs.get("logging_obj"))
        headers = response_headers(config, result)
        gated = _metadata(litellm_params).get(GATE_KEY)
        if gated is not None:
            headers["x-litellm-fusion-gate"] = gated["decision"]
            headers["x-litellm-fusion-gate-difficulty"] = f"{gated['difficulty']:.4f}"
        cap = _metadata(litellm_params).get(COST_CAP_KEY)
        if cap is not None:
            headers["x-litellm-fusion-cost-estimate"] = f"{cap['estimate']:.8f}"
            headers["x-litellm-fusion-cost-cap"] = f"{cap['cap']:.8f}"
        details = reply_details(config, result) if config.return_candidates else None
        return fill_response(model_response, config.name, result, headers, details)

    async def astreaming(  # type: ignore[override]
        self, model: str, messages: list, *args: Any, optional_params: dict,
        litellm_params: dict | None = None, **kwargs: Any,
    ) -> AsyncIterator[GenericStreamingChunk]:
        _, result = await self._run(model, messages, optional_params, litellm_params, kwargs.get("logging_obj"))
        for chunk in stream_chunks(result):
            yield chunk

    async def _run(
        self, model: str, messages: list, optional_params: dict, litellm_params: dict | None, logging_obj: Any = None
    ) -> tuple[FusionModelConfig, FusionResult]:
        metadata = _metadata(litellm_params)
        router = proxy_router()
        try:
            config, deployment_params = config_for(router, metadata, model)
            request = parse_request(config, messages, optional_params, deployment_params)
        except (FusionConfigError, RequestError) as exc:
            raise litellm.BadRequestError(message=str(exc), model=f"{PROVIDER}/{model}", llm_provider=PROVIDER) from None
        cap = apply_cost_cap(router, config, request) if config.max_cost_per_request is not None else None
        run_config = config if cap is None else config.model_copy(
            update={"panel": cap.panel, "quorum": min(config.quorum, len(cap.panel)) if config.quorum else None}
        )
        caller = RouterCaller(router, config.name, (litellm_params or {}).get("litellm_call_id"))
        gated = complexity_gate(router, config, request.messages) if config.gate is not None else None
        try:
            engine = FusionEngine(run_config, caller, self._judge_cache(config))
            if gated is not None and gated.decision != "fuse":
                single = config.gate.cheap if gated.decision == "cheap" else config.gate.strong  # type: ignore[union-attr]
                reason = f"gate: {gated.decision} ({single}) predicted to succeed, p={max(gated.p_cheap, gated.p_strong):.2f}"
                result = await engine.run_single(single, request.messages, request.params, reason)
            else:
                result = await engine.run(request.messages, request.params)
        except asyncio.CancelledError:
            # The client hung up (LiteLLM cancels the request): members that already answered were
            # billed by their providers; hand their cost to LiteLLM's failure path, then stop.
            _bill_failure(logging_obj, FusionError("client disconnected", 499, calls=list(engine.completed)))
            raise
        except FusionError as exc:
            _record_failure(metadata, config, exc)
            _mirror_to_proxy_metadata(litellm_params, metadata)
            _bill_failure(logging_obj, exc)
            if exc.status == 400:
                raise litellm.BadRequestError(message=str(exc), model=config.name, llm_provider=PROVIDER) from None
            # num_retries=0: the inner calls were already retried by the Router; re-running the
            # whole panel from the outer call would multiply cost and latency.
            raise litellm.BadGatewayError(
                message=str(exc), model=config.name, llm_provider=PROVIDER, num_retries=0
            ) from None
        _record(metadata, config, result)
        _mirror_to_proxy_metadata(litellm_params, metadata)
        if gated is not None:
            report: dict[str, Any] = {"decision": gated.decision, "difficulty": round(gated.difficulty, 4),
                      "p_cheap": round(gated.p_cheap, 4), "p_strong": round(gated.p_strong, 4)}
            metadata["spend_logs_metadata"]["fusion"]["gate"] = report
            metadata[GATE_KEY] = report
        if cap is not None:
            cap_report: dict[str, Any] = {"cap": config.max_cost_per_request, "estimate": cap.estimate, "actual": result.cost,
                      "panel": cap.panel}
            metadata["spend_logs_metadata"]["fusion"]["cost_cap"] = cap_report
            metadata[COST_CAP_KEY] = cap_report
        return config, result


def _metadata(litellm_params: dict | None) -> dict[str, Any]:
    """The request's metadata dict: the same object LiteLLM's logging reads (so writes show up in logs)."""
    if litellm_params is None:
        return {}
    metadata = litellm_params.get("metadata")
    if metadata is None:
        metadata = litellm_params["metadata"] = {}
    return metadata


def _mirror_to_proxy_metadata(litellm_params: dict | None, metadata: dict[str, Any]) -> None:
    """/v1/messages and /v1/responses reach this handler through LiteLLM's bridge to chat completions;
    their spend row is built from the outer call's metadata, which is the proxy's `litellm_metadata`, not
    the `metadata` dict this call was given. Put the fusion entry there too (the same object, so the gate
    and cost-cap reports added to it later show in both)."""
    proxy_metadata = (litellm_params or {}).get("litellm_metadata")
    spend = metadata.get("spend_logs_metadata")
    if isinstance(proxy_metadata, dict) and proxy_metadata is not metadata and isinstance(spend, dict) and "fusion" in spend:
        set_spend_entry(proxy_metadata, "fusion", spend["fusion"])


def _bill_failure(logging_obj: Any, exc: FusionError) -> None:
    """Members that answered before the request failed were billed by their providers: hand their
    cost and usage to LiteLLM's failure path (it lifts `combined_usage_object` / `response_cost` from the
    call's logging details), which charges the caller's key/team/user and writes it in the failure row."""
    details = getattr(logging_obj, "model_call_details", None)
    if not isinstance(details, dict) or exc.cost <= 0:
        return
    prompt = sum(c.prompt_tokens for c in exc.calls)
    completion = sum(c.completion_tokens for c in exc.calls)
    details["combined_usage_object"] = Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)
    details["response_cost"] = exc.cost


def _record_failure(metadata: dict[str, Any], config: FusionModelConfig, exc: FusionError) -> None:
    """A failed fusion request still says which members ran and why they failed (failure logs, metrics)."""
    set_spend_entry(metadata, "fusion", failure_metadata(config, exc.calls, str(exc)))


def _record(metadata: dict[str, Any], config: FusionModelConfig, result: FusionResult) -> None:
    set_spend_entry(metadata, "fusion", spend_metadata(config, result))
    metadata[RESULT_KEY] = {
        "cost": result.cost,
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
    }
