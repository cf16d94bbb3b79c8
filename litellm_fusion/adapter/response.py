"""Turn a FusionResult into what LiteLLM expects back from a CustomLLM: a ModelResponse or stream chunks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from litellm.types.utils import GenericStreamingChunk, ModelResponse, Usage

from ..engine.types import FusionResult


def fill_response(
    model_response: ModelResponse,
    model_name: str,
    result: FusionResult,
    headers: dict[str, str],
    details: dict[str, Any] | None = None,
) -> ModelResponse:
    choice = model_response.choices[0]
    choice.message.content = result.answer  # type: ignore[union-attr]
    if details is not None:
        choice.message.provider_specific_fields = {"fusion": details}  # type: ignore[union-attr]
    choice.finish_reason = result.finish_reason  # type: ignore[assignment]  # providers' reasons pass through
    model_response.model = model_name
    usage = Usage(
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        total_tokens=result.prompt_tokens + result.completion_tokens,
    )
    setattr(model_response, "usage", usage)
    hidden: dict[str, Any] = model_response._hidden_params
    hidden["response_cost"] = result.cost
    hidden.setdefault("additional_headers", {}).update(headers)
    return model_response


_PIECE = re.compile(r"\S*\s*")


def stream_chunks(result: FusionResult, words_per_chunk: int = 8) -> Iterator[GenericStreamingChunk]:
    """The answer in chunks of a few words, then a final chunk with finish_reason and summed usage."""
    words = [w for w in _PIECE.findall(result.answer) if w]
    for i in range(0, len(words), words_per_chunk):
        yield GenericStreamingChunk(
            text="".join(words[i : i + words_per_chunk]),
            is_finished=False,
            finish_reason="",
            usage=None,
            index=0,
            tool_use=None,
        )
    yield GenericStreamingChunk(
        text="",
        is_finished=True,
        finish_reason=result.finish_reason,
        usage={
            "prompt_tokens": result.prompt_tokens,
            "completion_tokens": result.completion_tokens,
            "total_tokens": result.prompt_tokens + result.completion_tokens,
        },
        index=0,
        tool_use=None,
    )
