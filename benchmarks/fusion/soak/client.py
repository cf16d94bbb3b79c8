"""The soak's client side: one request (streamed or not) through the openai SDK, and a phase of them at a
given concurrency."""

from __future__ import annotations

import asyncio
import inspect
import time
from dataclasses import dataclass, field
from typing import Any

import openai


@dataclass
class Result:
    i: int
    tag: str
    model: str
    stream: bool
    phase: str
    t_start: float = 0.0
    t_end: float = 0.0
    ok: bool = False
    content: str | None = None
    response_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    error: str | None = None
    usage_total: int | None = None

    @property
    def latency(self) -> float:
        return self.t_end - self.t_start


async def _parsed(raw: Any) -> Any:
    value = raw.parse()
    return await value if inspect.isawaitable(value) else value


async def one_request(client: openai.AsyncOpenAI, res: Result, text: str) -> None:
    res.t_start = time.monotonic()
    messages = [{"role": "user", "content": text}]
    try:
        if res.stream:
            raw = await client.chat.completions.with_raw_response.create(
                model=res.model, messages=messages, stream=True, stream_options={"include_usage": True}
            )
            res.headers = {k.lower(): v for k, v in raw.headers.items()}
            stream = await _parsed(raw)
            parts: list[str] = []
            async for chunk in stream:
                res.response_id = res.response_id or chunk.id
                if chunk.choices:
                    parts.append(chunk.choices[0].delta.content or "")
                if chunk.usage:
                    res.usage_total = chunk.usage.total_tokens
            res.content = "".join(parts)
        else:
            raw = await client.chat.completions.with_raw_response.create(model=res.model, messages=messages)
            res.headers = {k.lower(): v for k, v in raw.headers.items()}
            reply = await _parsed(raw)
            res.response_id = reply.id
            res.content = reply.choices[0].message.content
            res.usage_total = reply.usage.total_tokens if reply.usage else None
        res.ok = True
    except openai.APIStatusError as exc:
        res.status, res.error = exc.status_code, str(exc)
    except openai.APITimeoutError as exc:
        res.status, res.error = -1, f"client timeout: {exc}"
    except openai.APIError as exc:  # e.g. an error frame inside a stream
        res.status, res.error = getattr(exc, "status_code", None) or -2, f"{type(exc).__name__}: {exc}"
    finally:
        res.t_end = time.monotonic()


async def run_phase(
    client: openai.AsyncOpenAI,
    items: list[tuple[int, str, str, bool, str]],
    phase: str,
    concurrency: int,
    on_progress=None,
) -> list[Result]:
    queue: asyncio.Queue[tuple[int, str, str, bool, str]] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    results: list[Result] = []

    async def worker() -> None:
        while True:
            try:
                i, tag, model, stream, text = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            res = Result(i, tag, model, stream, phase)
            await one_request(client, res, text)
            results.append(res)
            if on_progress is not None:
                await on_progress(len(results))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return sorted(results, key=lambda r: r.i)
