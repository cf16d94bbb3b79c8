"""The `fusion` provider: a LiteLLM CustomLLM whose calls run the fusion engine over the proxy's Router.

Both entry points run the same event stream (`_events`): `acompletion` collects it into one ModelResponse,
`astreaming` turns each piece of answer text into a stream chunk as the engine produces it (a writing judge's
tokens as they arrive), then the tool calls and a closing chunk with the summed usage and cost.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import litellm
from litellm.llms.custom_llm import CustomLLM
from litellm.types.utils import GenericStreamingChunk, ModelResponse

from ...config.fusion import PROVIDER, FusionConfigError, FusionModelConfig
from ...config.settings import PluginSettings
from ...engine import FusionError, FusionResult
from ...engine.encodable import encodable
from ...engine.judge_cache import JudgeCacheUse
from ...engine.modes import mode_of
from ...learning.policy import describe
from ...observability.audit_view import audit_headers
from ...observability.metadata import reply_details, response_headers
from ..audit.audit_service import AuditService
from ..learning import LearningRuntime
from ..proxy_access.fusion_config_lookup import config_for
from ..proxy_access.request import RequestError, parse_request
from ..proxy_access.request_metadata import handler_metadata
from ..proxy_access.router_access import proxy_router
from ..proxy_access.router_caller import RouterCaller
from ..stores.redis_judge_store import JudgeStores
from .billing import RESULT_KEY, record_success, set_totals, settle_failure, spend_targets
from .cascade_savings import cascade_baseline
from .request_plan import AUDIT_KEY, COST_CAP_KEY, GATE_KEY, LEARNING_KEY, preflight
from .response import closing_chunks, fill_response, text_chunk

__all__ = ["RESULT_KEY", "FusionHandler", "settle_disconnect"]  # RESULT_KEY: billing.py, read by adapter/callbacks.py

# Streamed fusion requests in flight: LiteLLM call id -> how to settle it should its client hang up.
_IN_FLIGHT: dict[str, Callable[[], None]] = {}


def settle_disconnect(call_id: str | None) -> None:
    """LiteLLM bills a stream whose client hung up (from its own cleanup, through the success path): stop what
    the request still runs and leave the cost of every call that finished for the logging hook. Idempotent."""
    settle = _IN_FLIGHT.pop(call_id, None) if call_id else None
    if settle is not None:
        settle()


class FusionHandler(CustomLLM):
    def __init__(
        self,
        settings: PluginSettings | None = None,
        audits: AuditService | None = None,
        learning: LearningRuntime | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings or PluginSettings()
        self.stores = JudgeStores(self.settings.judge_cache)
        self.audits = audits or AuditService(self.settings, {})
        self.learning = learning

    def _judge_cache(self, config: FusionModelConfig) -> JudgeCacheUse | None:
        if config.judge_cache_ttl == "off" or not mode_of(config).caches_decisions(config):
            return None
        store = self.stores.current()
        if store is None:
            return None
        return JudgeCacheUse(store, config.judge_cache_ttl or self.settings.judge_cache.ttl)

    async def acompletion(  # type: ignore[override]
        self,
        model: str,
        messages: list,
        *args: Any,
        model_response: ModelResponse,
        optional_params: dict,
        litellm_params: dict | None = None,
        **kwargs: Any,
    ) -> ModelResponse:
        logging_obj = kwargs.get("logging_obj")
        outcome: tuple[FusionModelConfig, FusionResult] | None = None
        async for item in self._events(model, messages, optional_params, litellm_params, logging_obj, False):
            if isinstance(item, tuple):
                outcome = item
        assert outcome is not None
        config, result = outcome
        metadata = handler_metadata(litellm_params, logging_obj)
        try:
            headers = response_headers(config, result, metadata.get(GATE_KEY), metadata.get(COST_CAP_KEY))
            headers.update(audit_headers(metadata.get(AUDIT_KEY)))
            if isinstance(metadata.get(LEARNING_KEY), dict):  # a learning cascade: its model's version and labels
                headers["x-litellm-fusion-learning"] = describe(metadata[LEARNING_KEY])
            details = reply_details(config, result) if config.return_candidates else None
            return fill_response(model_response, config.name, result, headers, details)
        except Exception as exc:
            raise _unbuilt(logging_obj, metadata, config, result, exc) from exc

    async def astreaming(  # type: ignore[override]
        self,
        model: str,
        messages: list,
        *args: Any,
        optional_params: dict,
        litellm_params: dict | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[GenericStreamingChunk]:
        logging_obj = kwargs.get("logging_obj")
        async for item in self._events(model, messages, optional_params, litellm_params, logging_obj, True):
            if isinstance(item, str):
                if item:
                    yield text_chunk(item)
                continue
            config, result = item
            try:
                chunks = list(closing_chunks(result))
            except Exception as exc:
                raise _unbuilt(logging_obj, handler_metadata(litellm_params, logging_obj), config, result, exc) from exc
            for chunk in chunks:
                yield chunk

    async def _events(
        self,
        model: str,
        messages: list,
        optional_params: dict,
        litellm_params: dict | None,
        logging_obj: Any,
        live: bool,
    ) -> AsyncIterator[str | tuple[FusionModelConfig, FusionResult]]:
        """Answer text as it becomes available (only when `live`), then (config, result) once the request's
        metadata and totals are recorded (so the logging hook finds them when LiteLLM logs the call)."""
        started = time.monotonic()
        metadata = handler_metadata(litellm_params, logging_obj)
        targets = spend_targets(metadata, logging_obj)
        router = proxy_router()
        try:
            config, deployment_params = config_for(router, metadata, model)
            request = parse_request(config, messages, optional_params, deployment_params)
        except (FusionConfigError, RequestError) as exc:
            raise litellm.BadRequestError(
                message=str(exc), model=f"{PROVIDER}/{model}", llm_provider=PROVIDER
            ) from None
        call_id = (litellm_params or {}).get("litellm_call_id")
        pre = preflight(router, config, request, self.audits, self.learning)
        engine = pre.plan.engine(RouterCaller(router, config.name, call_id), self._judge_cache(config))
        events = pre.plan.events(engine, request.messages, request.params, live)
        result: FusionResult | None = None
        ledger = engine.completed  # every call that finished: what the providers billed

        def settle() -> None:
            ledger.abort()
            settle_failure(logging_obj, targets, config, list(ledger), "client disconnected", "disconnected")

        if live and call_id:
            _IN_FLIGHT[call_id] = settle
        first_at: float | None = None
        settled = False  # the ledger's cost has reached LiteLLM's spend paths (success totals, or the failure)
        try:
            async for event in events:
                if isinstance(event, FusionResult):
                    result = event
                else:
                    first_at = first_at or (time.monotonic() if event else None)
                    set_totals(metadata, ledger)  # what a hang-up from here on must still charge
                    yield event
            assert result is not None
            # The request's wall time as the handler saw it: its own set-up (config, request, gate) counts too.
            result.elapsed_s = time.monotonic() - started
            baseline = cascade_baseline(router, config, result) if config.tiered else None
            record_success(targets, config, result, baseline)
            pre.record(metadata, result, started, first_at)
            if config.tiered:
                self.audits.cascade_done(call_id, config, pre.audit, request.messages, request.params, result)
            settled = True
            yield config, result
        except (asyncio.CancelledError, GeneratorExit):
            # The client hung up (LiteLLM cancels the request or closes the stream): the calls that had
            # finished were billed by their providers. LiteLLM logs the request as a failure (cancelled before
            # the first chunk: its failure path takes the cost from the logging details) or, mid-stream, bills
            # what was streamed through its success path (the logging hook takes the cost from the totals).
            if not settled:
                settle()
                settled = True
            raise
        except FusionError as exc:
            message = encodable(str(exc))  # it quotes providers' errors: the error body must encode
            settle_failure(logging_obj, targets, config, list(ledger), message)
            settled = True
            if exc.status == 400:
                raise litellm.BadRequestError(message=message, model=config.name, llm_provider=PROVIDER) from None
            # num_retries=0: the inner calls were already retried by the Router; re-running the
            # whole panel from the outer call would multiply cost and latency.
            raise litellm.BadGatewayError(
                message=message, model=config.name, llm_provider=PROVIDER, num_retries=0
            ) from None
        except Exception as exc:
            # Anything else (a reader that crashed, a bug): still a failure to the client, never retried, and every
            # call that finished is charged.
            error = internal_error(config.name, exc, len(ledger))
            settle_failure(logging_obj, targets, config, list(ledger), error)
            settled = True
            raise litellm.InternalServerError(
                message=error, model=config.name, llm_provider=PROVIDER, num_retries=0
            ) from exc
        finally:
            if call_id:
                _IN_FLIGHT.pop(call_id, None)
            if not settled:  # any other way out (KeyboardInterrupt, SystemExit): the calls are charged all the same
                settle_failure(logging_obj, targets, config, list(ledger), "interrupted")


def _unbuilt(
    logging_obj: Any, metadata: dict[str, Any], config: FusionModelConfig, result: FusionResult, exc: Exception
) -> Exception:
    """The engine finished but its reply could not be built: a failure to the client, never retried, its calls
    charged through the failure path."""
    error = internal_error(config.name, exc, len(result.calls))
    settle_failure(logging_obj, spend_targets(metadata, logging_obj), config, result.calls, error)
    return litellm.InternalServerError(message=error, model=config.name, llm_provider=PROVIDER, num_retries=0)


def internal_error(model: str, exc: BaseException, calls: int) -> str:
    return encodable(
        f"{model}: the request failed inside litellm-fusion ({type(exc).__name__}: {str(exc)[:200]}); "
        f"the {calls} inner calls that finished are charged; not retried"
    )
