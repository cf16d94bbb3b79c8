"""A Caller for engine tests without a proxy: each model answers from a script (text, a Completion, an
exception, "HANG", or a function of the messages giving one of those)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from litellm_fusion.engine import Completion


class ScriptedCaller:
    def __init__(self, answers: dict[str, Any], cost: float = 0.001, chunk: int = 4) -> None:
        self.answers = answers
        self.cost = cost
        self.chunk = chunk  # characters per streamed delta
        self.seen: list[tuple[str, list[dict[str, Any]], dict[str, Any]]] = []

    def _answer(self, model: str, messages: list[dict[str, Any]], params: dict[str, Any]) -> Any:
        self.seen.append((model, messages, params))
        answer = self.answers[model]
        if callable(answer):
            answer = answer(messages)
        return answer

    def _completion(self, answer: Any) -> Completion:
        if isinstance(answer, Completion):
            return answer
        return Completion(text=answer, cost=self.cost, prompt_tokens=10, completion_tokens=5)

    async def __call__(
        self, model: str, messages: list[dict[str, Any]], params: dict[str, Any], timeout: float
    ) -> Completion:
        answer = self._answer(model, messages, params)
        if isinstance(answer, Exception):
            raise answer
        if answer == "HANG":
            await asyncio.Event().wait()
        return self._completion(answer)

    async def stream(
        self, model: str, messages: list[dict[str, Any]], params: dict[str, Any], timeout: float
    ) -> AsyncIterator[str | Completion]:
        answer = self._answer(model, messages, params)
        if isinstance(answer, Exception):
            raise answer
        if answer == "HANG":
            await asyncio.Event().wait()
        completion = self._completion(answer)
        for i in range(0, len(completion.text), self.chunk):
            await asyncio.sleep(0)  # a network read: other tasks (the consumer) run between deltas
            yield completion.text[i : i + self.chunk]
        yield completion
