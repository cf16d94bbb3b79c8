"""The engine's Caller, implemented with the proxy's own Router.

Inner calls go through `Router.acompletion` by model_name, so retries, fallbacks, cooldowns and
rate limits apply. They carry none of the caller's auth metadata (no user_api_key*, user, team), so
LiteLLM writes no spend row for them; they are marked so that Prometheus does not count them twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from ...engine.records import Completion, InnerCallError, Message, ToolCall

INNER_CALL_KEY = "litellm_fusion_inner_call"


def is_inner_call(metadata: dict[str, Any] | None) -> bool:
    return bool(metadata) and INNER_CALL_KEY in metadata  # type: ignore[operator]


def _inner_error(exc: Exception) -> InnerCallError:
    status = getattr(exc, "status_code", None)
    prefix = f"HTTP {status}: " if status else ""
    return InnerCallError(
        f"{prefix}{getattr(exc, 'message', None) or exc}", status=status if isinstance(status, int) else None
    )


def _tool_calls(message: Any) -> tuple[ToolCall, ...]:
    calls = getattr(message, "tool_calls", None) or []
    out = []
    for call in calls:
        fn = getattr(call, "function", None)
        out.append(
            ToolCall(
                id=str(getattr(call, "id", "") or ""),
                name=str(getattr(fn, "name", "") or ""),
                arguments=str(getattr(fn, "arguments", "") or ""),
            )
        )
    return tuple(out)


def _completion(response: Any, cost: float | None = None) -> Completion:
    hidden = getattr(response, "_hidden_params", {}) or {}
    usage = getattr(response, "usage", None)
    choice = response.choices[0]
    cached = hidden.get("cache_hit") is True  # LiteLLM's response cache: billed $0, as LiteLLM does
    if cost is None:
        cost = float(hidden.get("response_cost") or 0.0)
    return Completion(
        text=choice.message.content or "",
        cost=0.0 if cached else cost,
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        finish_reason=choice.finish_reason or "stop",
        cached=cached,
        tool_calls=_tool_calls(choice.message),
    )


def _stream_cost(logging_obj: Any, built: Any) -> float:
    """A finished inner stream priced as LiteLLM prices it: by the call's logging object (the deployment's own
    prices). The method is `response_cost_calculator` from LiteLLM 1.108, `_response_cost_calculator` before."""
    price = getattr(logging_obj, "response_cost_calculator", None) or getattr(
        logging_obj, "_response_cost_calculator", None
    )
    if price is None:
        return 0.0
    try:
        return float(price(result=built) or 0.0)
    except Exception:  # noqa: BLE001 - unpriced: as LiteLLM, count 0
        return 0.0


class RouterCaller:
    def __init__(self, router: Any, fusion_model: str, parent_call_id: str | None) -> None:
        self.router = router
        self.tag = {"fusion_model": fusion_model, "parent_call_id": parent_call_id}

    def _call(self, model: str, messages: list[Message], params: dict[str, Any], timeout: float, **extra: Any) -> Any:
        """The Router call: by model_name, marked as ours, with none of the caller's auth metadata."""
        return self.router.acompletion(
            model=model,
            messages=messages,
            timeout=timeout,
            metadata={INNER_CALL_KEY: dict(self.tag)},
            **params,
            **extra,
        )

    async def __call__(self, model: str, messages: list[Message], params: dict[str, Any], timeout: float) -> Completion:
        try:
            response = await self._call(model, messages, params, timeout)
        except Exception as exc:
            raise _inner_error(exc) from exc
        return _completion(response)

    async def stream(
        self, model: str, messages: list[Message], params: dict[str, Any], timeout: float
    ) -> AsyncIterator[str | Completion]:
        """The call streamed through the Router: text deltas as they arrive, then the whole Completion, built
        from the chunks with LiteLLM's own `stream_chunk_builder` and priced by the call's logging object (the
        deployment's own prices, as LiteLLM prices the finished stream)."""
        import litellm

        chunks: list[Any] = []
        response: Any = None
        finished = False
        try:
            response = await self._call(
                model, messages, params, timeout, stream=True, stream_options={"include_usage": True}
            )
            async for chunk in response:
                chunks.append(chunk)
                delta = chunk.choices[0].delta if chunk.choices else None
                text = getattr(delta, "content", None) if delta is not None else None
                if text:
                    yield text
            finished = True
        except Exception as exc:
            raise _inner_error(exc) from exc
        finally:
            if response is not None and not finished and hasattr(response, "aclose"):
                # cancelled or failed mid-stream: close the provider's connection now (a stream left open keeps
                # generating, and billing, until it is garbage-collected)
                await response.aclose()
        built = litellm.stream_chunk_builder(chunks, messages=messages)
        if built is None:
            raise InnerCallError(f"{model}: the stream ended without a response")
        yield _completion(built, _stream_cost(getattr(response, "logging_obj", None), built))
