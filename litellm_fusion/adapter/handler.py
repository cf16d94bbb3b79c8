"""The `fusion` provider: a LiteLLM CustomLLM whose calls run the fusion engine over the proxy's Router.

Both entry points run the same event stream (`_events`): `acompletion` collects it into one ModelResponse,
`astreaming` turns each piece of answer text into a stream chunk as the engine produces it (a writing judge's
tokens as they arrive), then the tool calls and a closing chunk with the summed usage and cost.
"""

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
from .cascade_savings import cascade_baseline
from .policies import apply_cost_cap, complexity_gate
from .redis_judge_store import JudgeStores
from .registry import config_for
from .request import RequestError, parse_request
from .response import closing_chunks, fill_response, text_chunk
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
        if config.judge_cache_ttl == "off" or config.is_cascade:
            return None
        store = self.stores.current()
        if store is None:
            return None
        return JudgeCacheUse(store, config.judge_cache_ttl or self.settings.judge_cache.ttl)

    async def acompletion(  # type: ignore[override]
        self, model: str, messages: list, *args: Any, model_response: ModelResponse, optional_params: dict,
        litellm_params: dict | None = None, **kwargs: Any,
    ) -> ModelResponse:
        outcome: tuple[FusionModelConfig, FusionResult] | None = None
        async for item in self._events(model, messages, optional_params, litellm_params, kwargs.get("logging_obj"), False):
            if isinstance(item, tuple):
                outcome = item
        assert outcome is not None
        config, result = outcome
        metadata = _metadata(litellm_params)
        headers = response_headers(config, result, metadata.get(GATE_KEY), metadata.get(COST_CAP_KEY))
        details = reply_details(config, result) if config.return_candidates else None
        return fill_response(model_response, config.name, result, headers, details)

    async def astreaming(  # type: ignore[override]
        self, model: str, messages: list, *args: Any, optional_params: dict,
        litellm_params: dict | None = None, **kwargs: Any,
    ) -> AsyncIterator[GenericStreamingChunk]:
        async for item in self._events(model, messages, optional_params, litellm_params, kwargs.get("logging_obj"), True):
            if isinstance(item, str):
                if item:
                    yield text_chunk(item)
            else:
                for chunk in closing_chunks(item[1]):
                    yield chunk

    async def _events(
        self, model: str, messages: list, optional_params: dict, litellm_params: dict | None, logging_obj: Any,
        live: bool,
    ) -> AsyncIterator[str | tuple[FusionModelConfig, FusionResult]]:
        """Answer text as it becomes available (only when `live`), then (config, result) once the request's
        metadata and totals are recorded (so the logging hook finds them when LiteLLM logs the call)."""
        metadata = _metadata(litellm_params)
        router = proxy_router()
        try:
            config, deployment_params = config_for(router, metadata, model)
            request = parse_request(config, messages, optional_params, deployment_params)
        except (FusionConfigError, RequestError) as exc:
            raise litellm.BadRequestError(message=str(exc), model=f"{PROVIDER}/{model}", llm_provider=PROVIDER) from None
        cap = apply_cost_cap(router, config, request) if config.max_cost_per_request is not None else None
        run_config = config if cap is None else config.model_copy(update=cap.update)
        caller = RouterCaller(router, config.name, (litellm_params or {}).get("litellm_call_id"))
        gated = complexity_gate(router, config, request.messages) if config.gate is not None else None
        engine = FusionEngine(run_config, caller, self._judge_cache(config))
        if gated is not None and gated.decision != "fuse":
            single = config.gate.cheap if gated.decision == "cheap" else config.gate.strong  # type: ignore[union-attr]
            reason = f"gate: {gated.decision} ({single}) predicted to succeed, p={max(gated.p_cheap, gated.p_strong):.2f}"
            events = engine.single_events(single, request.messages, request.params, reason, live)
        else:
            events = engine.events(request.messages, request.params, live)
        result: FusionResult | None = None
        try:
            async for event in events:
                if isinstance(event, FusionResult):
                    result = event
                else:
                    yield event
        except (asyncio.CancelledError, GeneratorExit):
            # The client hung up (LiteLLM cancels the request or closes the stream): the calls that had
            # finished were billed by their providers; hand their cost to LiteLLM's failure path, then stop.
            _bill_failure(logging_obj, FusionError("client disconnected", 499, calls=list(engine.completed)))
            raise
        except FusionError as exc:
            _record_failure(metadata, config, exc)
            _bill_failure(logging_obj, exc)
            if exc.status == 400:
                raise litellm.BadRequestError(message=str(exc), model=config.name, llm_provider=PROVIDER) from None
            # num_retries=0: the inner calls were already retried by the Router; re-running the
            # whole panel from the outer call would multiply cost and latency.
            raise litellm.BadGatewayError(
                message=str(exc), model=config.name, llm_provider=PROVIDER, num_retries=0
            ) from None
        assert result is not None
        _record(metadata, config, result, cascade_baseline(router, config, result) if config.is_cascade else None)
        entry = metadata["spend_logs_metadata"]["fusion"]
        if gated is not None:
            report: dict[str, Any] = {"decision": gated.decision, "difficulty": round(gated.difficulty, 4),
                                      "p_cheap": round(gated.p_cheap, 4), "p_strong": round(gated.p_strong, 4)}
            entry["gate"] = metadata[GATE_KEY] = report
        if cap is not None:
            entry["cost_cap"] = metadata[COST_CAP_KEY] = {
                "cap": config.max_cost_per_request, "estimate": cap.estimate, "actual": result.cost, **cap.report}
        yield config, result


def _metadata(litellm_params: dict | None) -> dict[str, Any]:
    """The request's metadata dict: the same object LiteLLM's logging reads (so writes show up in logs)."""
    if litellm_params is None:
        return {}
    metadata = litellm_params.get("metadata")
    if metadata is None:
        metadata = litellm_params["metadata"] = {}
    return metadata


def _bill_failure(logging_obj: Any, exc: FusionError) -> None:
    """Calls that finished before the request failed were billed by their providers: hand their
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


def _record(metadata: dict[str, Any], config: FusionModelConfig, result: FusionResult,
            baseline: tuple[float, str] | None) -> None:
    set_spend_entry(metadata, "fusion", spend_metadata(config, result, baseline))
    metadata[RESULT_KEY] = {
        "cost": result.cost,
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
    }
