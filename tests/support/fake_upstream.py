"""A small OpenAI-compatible upstream whose behaviour each test sets, per model.

Runs an aiohttp server on 127.0.0.1 in a background thread of the test process, so tests steer it
with plain Python (answers may be functions of the request). The proxy under test reaches it as
`model: openai/<name>, api_base: http://127.0.0.1:<port>/v1`.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Reply:
    """A full assistant reply: text, tool calls, or both. `tool_calls` items are
    `{"name": ..., "arguments": dict or raw JSON string}` (ids are made up). Token counts and the
    finish reason, when set, override the Behaviour's for this one reply."""

    content: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


Answer = str | Reply | Callable[[dict[str, Any]], "str | Reply"]
# Any of latency, status and hang may also be a function of the request body (per-request faults).
Latency = float | Callable[[dict[str, Any]], float]
Status = int | None | Callable[[dict[str, Any]], int | None]
Hang = bool | Callable[[dict[str, Any]], bool]


def _value(setting: Any, body: dict[str, Any]) -> Any:
    return setting(body) if callable(setting) else setting


@dataclass
class Behaviour:
    text: Answer = "ok"
    latency: Latency = 0.0  # seconds before answering
    status: Status = None  # answer with this HTTP error instead
    hang: Hang = False  # never answer (until the client gives up)
    prompt_tokens: int = 10
    completion_tokens: int = 5
    error_message: str = "upstream failure"
    finish_reason: str | None = None  # default: "tool_calls" when the reply has tool calls, else "stop"
    # Seconds between content chunks: a fixed token rate (`stream_chunk_chars` ~ 1 token). A streamed reply
    # sends its chunks at that rate; a non-streamed one arrives once all of them would have been written.
    # To simulate a provider dying mid-answer, `stream_fail_after` drops the connection after that many chunks.
    stream_interval: float = 0.0
    stream_chunk_chars: int = 8
    stream_fail_after: int | None = None
    # Streaming only: after the first content chunk, hold the rest until the test sets this event (bounded by
    # 30 s), so a test can see what reached its client while the provider is still writing.
    stream_hold: threading.Event | None = None
    # Hold each request (before answering) until the test sets this event (bounded by 30 s): a test can see what its
    # client got while this model's call is still in flight (e.g. a background audit reaching the provider).
    hold: threading.Event | None = None


@dataclass
class Seen:
    model: str
    body: dict[str, Any]
    started: float
    finished: float | None = None
    status: int = 200
    # Only with FakeUpstream(handler_cancellation=True): the client closed the connection before the
    # reply was sent, so the handler was cancelled (status is then 499, "client closed request").
    cancelled: bool = False
    # The usage this reply billed (set once the whole reply was sent; None for errors and cut-off streams).
    usage: dict[str, int] | None = None


@dataclass
class _Barrier:
    models: frozenset[str]
    count: int
    timeout: float
    arrived: int = 0
    event: asyncio.Event = field(default_factory=asyncio.Event)


class FakeUpstream:
    def __init__(self, handler_cancellation: bool = False) -> None:
        """handler_cancellation: cancel a request's handler when its client disconnects (aiohttp's
        option), recording it in `Seen.cancelled`; off by default, as before (a hung call then never ends)."""
        self.handler_cancellation = handler_cancellation
        self.behaviours: dict[str, Behaviour] = {}
        self.seen: list[Seen] = []
        self.port = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._barrier: _Barrier | None = None
        self.in_flight = 0
        self.max_in_flight = 0

    # ---- steering (called from tests) ----
    def set(self, model: str, **kwargs: Any) -> None:
        with self._lock:
            self.behaviours[model] = Behaviour(**kwargs)

    def reset(self) -> None:
        with self._lock:
            self.behaviours.clear()
            self.seen.clear()
            self._barrier = None
            self.max_in_flight = 0

    def require_concurrency(self, models: list[str], count: int, timeout: float = 10.0) -> None:
        """Hold requests for `models` until `count` of them are in flight at once.

        If they are not concurrent, the first one fails with HTTP 500 after `timeout`.
        """
        assert self._loop is not None

        async def make() -> None:
            self._barrier = _Barrier(frozenset(models), count, timeout)

        asyncio.run_coroutine_threadsafe(make(), self._loop).result(5)

    def requests_for(self, model: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.model == model]

    # ---- server ----
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeUpstream:
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            app = web.Application()
            app.router.add_post("/v1/chat/completions", self._chat)
            app.router.add_post("/v1/responses", self._responses)
            app.router.add_get("/v1/models", self._models)
            self._runner = web.AppRunner(
                app, access_log=None, handler_cancellation=self.handler_cancellation, shutdown_timeout=1
            )  # a hung test request must not hold up teardown
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            leftover = asyncio.all_tasks(loop)  # handlers of hung requests
            for task in leftover:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-upstream", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake upstream did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": m, "object": "model"} for m in self.behaviours]})

    async def _arrive(self, request: web.Request) -> tuple[dict[str, Any], Seen, Behaviour]:
        """A request's body, its record in `seen` and the behaviour its model is steered to."""
        body = await request.json()
        seen = Seen(model=str(body.get("model")), body=body, started=time.monotonic())
        with self._lock:
            self.seen.append(seen)
            return body, seen, self.behaviours.get(seen.model, Behaviour())

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body, seen, behaviour = await self._arrive(request)
        model = seen.model
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if not await self._wait_barrier(model):
                seen.status = 500
                return web.json_response({"error": {"message": "concurrency barrier timed out"}}, status=500)
            if _value(behaviour.hang, body):
                await asyncio.Event().wait()
            if behaviour.hold is not None:
                await asyncio.get_running_loop().run_in_executor(None, behaviour.hold.wait, 30)
            latency = _value(behaviour.latency, body)
            if latency:
                await asyncio.sleep(latency)
            status = _value(behaviour.status, body)
            if status is not None:
                seen.status = status
                return web.json_response(
                    {"error": {"message": behaviour.error_message, "type": "server_error", "code": status}},
                    status=status,
                )
            answer = behaviour.text(body) if callable(behaviour.text) else behaviour.text
            reply = answer if isinstance(answer, Reply) else Reply(content=answer)
            if body.get("stream"):
                return await self._stream(request, seen, reply, behaviour)
            chunks = -(-len(reply.content or "") // max(1, behaviour.stream_chunk_chars))
            if behaviour.stream_interval and chunks > 1:
                await asyncio.sleep(behaviour.stream_interval * (chunks - 1))  # the time to write the whole answer
            seen.usage = self._usage(behaviour, reply)
            return web.json_response(self._completion(model, reply, behaviour))
        except asyncio.CancelledError:
            seen.cancelled = True
            seen.status = 499
            raise
        finally:
            self.in_flight -= 1
            seen.finished = time.monotonic()

    async def _responses(self, request: web.Request) -> web.Response:
        """OpenAI's Responses API, not streamed: what LiteLLM sends an `openai/` deployment for /v1/responses
        (text answers, latency, status and usage as for chat)."""
        body, seen, behaviour = await self._arrive(request)
        model = seen.model
        try:
            latency = _value(behaviour.latency, body)
            if latency:
                await asyncio.sleep(latency)
            status = _value(behaviour.status, body)
            if status is not None or body.get("stream"):
                seen.status = status or 400
                message = behaviour.error_message if status else "the fake upstream does not stream /v1/responses"
                return web.json_response({"error": {"message": message, "type": "server_error"}}, status=seen.status)
            answer = behaviour.text(body) if callable(behaviour.text) else behaviour.text
            reply = answer if isinstance(answer, Reply) else Reply(content=answer)
            usage = seen.usage = self._usage(behaviour, reply)
            text = {"type": "output_text", "text": reply.content or "", "annotations": []}
            return web.json_response(
                {
                    "id": f"resp_{uuid.uuid4().hex[:12]}",
                    "object": "response",
                    "created_at": int(time.time()),
                    "model": model,
                    "status": "completed",
                    "parallel_tool_calls": True,
                    "tool_choice": "auto",
                    "tools": [],
                    "output": [
                        {
                            "type": "message",
                            "id": f"msg_{uuid.uuid4().hex[:12]}",
                            "role": "assistant",
                            "status": "completed",
                            "content": [text],
                        }
                    ],
                    "usage": {
                        "input_tokens": usage["prompt_tokens"],
                        "output_tokens": usage["completion_tokens"],
                        "total_tokens": usage["total_tokens"],
                    },
                }
            )
        finally:
            seen.finished = time.monotonic()

    async def _wait_barrier(self, model: str) -> bool:
        barrier = self._barrier
        if barrier is None or model not in barrier.models:
            return True
        barrier.arrived += 1
        if barrier.arrived >= barrier.count:
            barrier.event.set()
        try:
            await asyncio.wait_for(barrier.event.wait(), barrier.timeout)
        except TimeoutError:
            return False
        return True

    @staticmethod
    def _usage(b: Behaviour, reply: Reply) -> dict[str, int]:
        prompt = b.prompt_tokens if reply.prompt_tokens is None else reply.prompt_tokens
        completion = b.completion_tokens if reply.completion_tokens is None else reply.completion_tokens
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    @staticmethod
    def _finish_reason(b: Behaviour, reply: Reply) -> str:
        return reply.finish_reason or b.finish_reason or ("tool_calls" if reply.tool_calls else "stop")

    @staticmethod
    def _tool_calls(reply: Reply) -> list[dict[str, Any]]:
        return [
            {
                "id": call.get("id") or f"call_{uuid.uuid4().hex[:12]}",
                "type": "function",
                "function": {
                    "name": call["name"],
                    "arguments": call["arguments"]
                    if isinstance(call["arguments"], str)
                    else json.dumps(call["arguments"]),
                },
            }
            for call in reply.tool_calls
        ]

    def _completion(self, model: str, reply: Reply, b: Behaviour) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.tool_calls:
            message["tool_calls"] = self._tool_calls(reply)
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": self._finish_reason(b, reply)}],
            "usage": self._usage(b, reply),
        }

    async def _stream(self, request: web.Request, seen: Seen, reply: Reply, b: Behaviour) -> web.StreamResponse:
        model = seen.model
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        cid = f"chatcmpl-{uuid.uuid4().hex[:12]}"

        def event(delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> bytes:
            chunk = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
                **extra,
            }
            return f"data: {json.dumps(chunk)}\n\n".encode()

        text = reply.content or ""
        size = max(1, b.stream_chunk_chars)
        pieces = [text[i : i + size] for i in range(0, len(text), size)]
        for n, piece in enumerate(pieces):
            if b.stream_fail_after is not None and n >= b.stream_fail_after:
                assert request.transport is not None
                request.transport.close()  # the provider dies mid-answer
                return resp
            if n == 1 and b.stream_hold is not None:
                await asyncio.get_running_loop().run_in_executor(None, b.stream_hold.wait, 30)
            if n and b.stream_interval:
                await asyncio.sleep(b.stream_interval)
            await resp.write(event({"role": "assistant", "content": piece} if n == 0 else {"content": piece}))
        for i, call in enumerate(self._tool_calls(reply)):
            await resp.write(
                event(
                    {
                        "tool_calls": [
                            {
                                "index": i,
                                "id": call["id"],
                                "type": "function",
                                "function": {"name": call["function"]["name"], "arguments": ""},
                            }
                        ]
                    }
                )
            )
            await resp.write(
                event({"tool_calls": [{"index": i, "function": {"arguments": call["function"]["arguments"]}}]})
            )
        if not pieces and not reply.tool_calls:
            await resp.write(event({"role": "assistant", "content": ""}))
        await resp.write(event({}, self._finish_reason(b, reply), usage=self._usage(b, reply)))
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        seen.usage = self._usage(b, reply)
        return resp


def main() -> None:
    """Serve fixed behaviours in a process of its own (benchmarks): `python fake_upstream.py '{"m": {...}}'`.

    Prints the port on stdout, serves until stdin closes.
    """
    import sys

    server = FakeUpstream().start()
    for model, behaviour in json.loads(sys.argv[1]).items():
        server.set(model, **behaviour)
    print(server.port, flush=True)
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
