"""The engine's Caller, implemented with the proxy's own Router.

Inner calls go through `Router.acompletion` by model_name, so retries, fallbacks, cooldowns and
rate limits apply. They carry none of the caller's auth metadata (no user_api_key*, user, team), so
LiteLLM writes no spend row for them; they are marked so that Prometheus does not count them twice.
"""

from __future__ import annotations

from typing import Any

from ..engine.types import Completion, InnerCallError, Message

INNER_CALL_KEY = "litellm_fusion_inner_call"


def proxy_router() -> Any:
    """The running proxy's Router (read at call time: the proxy may rebuild it)."""
    from litellm.proxy import proxy_server

    router = proxy_server.llm_router
    if router is None:
        raise RuntimeError("litellm_fusion needs a LiteLLM proxy with a model_list (llm_router is not set)")
    return router


def is_inner_call(metadata: dict[str, Any] | None) -> bool:
    return bool(metadata) and INNER_CALL_KEY in metadata  # type: ignore[operator]


class RouterCaller:
    def __init__(self, router: Any, fusion_model: str, parent_call_id: str | None) -> None:
        self.router = router
        self.tag = {"fusion_model": fusion_model, "parent_call_id": parent_call_id}

    async def __call__(self, model: str, messages: list[Message], params: dict[str, Any], timeout: float) -> Completion:
        try:
            response = await self.router.acompletion(
                model=model,
                messages=messages,
                timeout=timeout,
                metadata={INNER_CALL_KEY: dict(self.tag)},
                **params,
            )
        except Exception as exc:  # noqa: BLE001 - the engine records it and drops the member
            status = getattr(exc, "status_code", None)
            prefix = f"HTTP {status}: " if status else ""
            raise InnerCallError(
                f"{prefix}{getattr(exc, 'message', None) or exc}", status=status if isinstance(status, int) else None
            ) from exc
        hidden = getattr(response, "_hidden_params", {}) or {}
        usage = getattr(response, "usage", None)
        choice = response.choices[0]
        cached = hidden.get("cache_hit") is True  # LiteLLM's response cache: billed $0, as LiteLLM does
        return Completion(
            text=choice.message.content or "",
            cost=0.0 if cached else float(hidden.get("response_cost") or 0.0),
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            finish_reason=choice.finish_reason or "stop",
            cached=cached,
        )
