"""Turn the engine's output into what LiteLLM expects back from a CustomLLM: a ModelResponse or stream chunks.

What a model wrote reaches the client encodable (engine/encodable.py): a winning answer, a judge's text or tool call
with a lone surrogate would otherwise make the proxy fail to serialise the reply, a 500 after every call was billed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

from litellm.types.utils import ChatCompletionMessageToolCall, Function, GenericStreamingChunk, ModelResponse, Usage

from ...engine.encodable import encodable, encodable_record
from ...engine.records import FusionResult, ToolCall


def fill_response(
    model_response: ModelResponse,
    model_name: str,
    result: FusionResult,
    headers: dict[str, str],
    details: dict[str, Any] | None = None,
) -> ModelResponse:
    choice = model_response.choices[0]
    message = choice.message  # type: ignore[union-attr]
    message.content = encodable(result.answer) if result.answer or not result.tool_calls else None
    if result.tool_calls:
        message.tool_calls = [
            ChatCompletionMessageToolCall(
                id=encodable(c.id),
                type="function",
                function=Function(name=encodable(c.name), arguments=encodable(c.arguments)),
            )
            for c in result.tool_calls
        ]
    if details is not None:
        message.provider_specific_fields = {"fusion": encodable_record(details)}
    choice.finish_reason = result.finish_reason  # type: ignore[assignment]  # providers' reasons pass through
    model_response.model = model_name
    model_response.usage = _usage(result)
    hidden: dict[str, Any] = model_response._hidden_params
    hidden["response_cost"] = result.cost
    hidden.setdefault("additional_headers", {}).update(headers)
    return model_response


def _usage(result: FusionResult) -> Usage:
    return Usage(
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        total_tokens=result.prompt_tokens + result.completion_tokens,
    )


def text_chunk(text: str) -> GenericStreamingChunk:
    return GenericStreamingChunk(
        text=encodable(text), is_finished=False, finish_reason="", usage=None, index=0, tool_use=None
    )


def _tool_chunk(i: int, call: ToolCall) -> GenericStreamingChunk:
    return GenericStreamingChunk(
        text="",
        is_finished=False,
        finish_reason="",
        usage=None,
        index=0,
        tool_use={
            "id": encodable(call.id),
            "type": "function",
            "function": {"name": encodable(call.name), "arguments": encodable(call.arguments)},
            "index": i,
        },
    )


def closing_chunks(result: FusionResult) -> list[GenericStreamingChunk]:
    """After the answer's text: its tool calls (whole, one chunk each: they are checked before they go out),
    then the finish reason with the summed usage and cost."""
    chunks = [_tool_chunk(i, c) for i, c in enumerate(result.tool_calls)]
    chunks.append(
        GenericStreamingChunk(
            text="",
            is_finished=True,
            finish_reason=result.finish_reason,
            usage=cast(
                Any,
                {  # LiteLLM's usage block, plus the summed cost (Usage takes a `cost`)
                    "prompt_tokens": result.prompt_tokens,
                    "completion_tokens": result.completion_tokens,
                    "total_tokens": result.prompt_tokens + result.completion_tokens,
                    "cost": result.cost,
                },
            ),
            index=0,
            tool_use=None,
        )
    )
    return chunks


async def aiter_chunks(texts: AsyncIterator[str]) -> AsyncIterator[GenericStreamingChunk]:
    async for text in texts:
        if text:
            yield text_chunk(text)
