"""One inner call with a hard time bound, recorded; and a panel round of them run concurrently."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from .records import Caller, CallRecord, Completion, InnerCallError, Ledger, Message, Role


class Deadline:
    """The overall time budget of one fusion request."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - self._clock())

    def bound(self, step_timeout: float) -> tuple[float, bool]:
        """(timeout for the next step, whether the deadline rather than the step's own timeout limits it)."""
        left = self.remaining()
        return (left, True) if left < step_timeout else (step_timeout, False)


def _error_text(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:500]


def _failed(
    model: str,
    role: Role,
    round_no: int,
    started: float,
    exc: BaseException,
    limit: float,
    deadline_bound: bool,
    step: str,
) -> CallRecord:
    latency = time.monotonic() - started
    if isinstance(exc, TimeoutError):
        what = "fusion deadline" if deadline_bound else f"{step} timeout"
        error = f"Timeout: {step} did not finish within {limit:.3g}s ({what})"
        return CallRecord(model, role, round_no, ok=False, latency_s=latency, error=error, started=started)
    record = CallRecord(model, role, round_no, ok=False, latency_s=latency, error=_error_text(exc), started=started)
    if isinstance(exc, InnerCallError):
        record.cost = exc.cost
        record.status = exc.status
    return record


def _succeeded(model: str, role: Role, round_no: int, started: float, completion: Completion) -> CallRecord:
    return CallRecord(
        model,
        role,
        round_no,
        ok=True,
        latency_s=time.monotonic() - started,
        cost=completion.cost,
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        cached=completion.cached,
        started=started,
    )


async def timed_call(
    caller: Caller,
    *,
    model: str,
    messages: list[Message],
    params: dict[str, Any],
    timeout: float,
    deadline: Deadline,
    role: Role,
    round_no: int,
    step: str,
    ledger: Ledger | None = None,
) -> tuple[CallRecord, Completion | None]:
    """Make one call; never raises except on cancellation. The record says what happened; `ledger` receives
    it as soon as the call finished (billing, should the request be cancelled later)."""
    limit, deadline_bound = deadline.bound(timeout)
    start = time.monotonic()
    if limit <= 0:
        return (
            CallRecord(
                model, role, round_no, ok=False, latency_s=0.0, error=f"deadline exceeded before {step}", started=start
            ),
            None,
        )
    completion: Completion | None = None
    try:
        # In this task, under a timeout scope: `wait_for` would run the call in a task of its own (one more task
        # per call, and two more event-loop hops before the result reaches the engine).
        async with asyncio.timeout(limit):
            completion = await caller(model, messages, params, limit)
    except Exception as exc:  # noqa: BLE001 - any provider error drops this member, it must not fail the request
        record = _failed(model, role, round_no, start, exc, limit, deadline_bound, step)
    else:
        record = _succeeded(model, role, round_no, start, completion)
    if ledger is not None:
        ledger.append(record)
    return record, completion


async def streamed_call(
    caller: Caller,
    *,
    model: str,
    messages: list[Message],
    params: dict[str, Any],
    timeout: float,
    deadline: Deadline,
    role: Role,
    round_no: int,
    step: str,
    ledger: Ledger | None = None,
) -> AsyncIterator[str | tuple[CallRecord, Completion | None]]:
    """`timed_call`, streamed: yields text deltas as the model writes them, then (record, completion or None).

    The stream is read by a task of its own under one time bound, so a slow consumer (a client reading the
    deltas) never runs inside the call's timeout; closing this generator cancels the call."""
    limit, deadline_bound = deadline.bound(timeout)
    start = time.monotonic()
    if limit <= 0:
        yield (
            CallRecord(
                model, role, round_no, ok=False, latency_s=0.0, error=f"deadline exceeded before {step}", started=start
            ),
            None,
        )
        return
    queue: asyncio.Queue[Any] = asyncio.Queue()

    async def read() -> None:
        completion: Completion | None = None
        failure: BaseException | None = None
        first: float | None = None
        try:
            async with asyncio.timeout(limit):
                async for item in caller.stream(model, messages, params, limit):
                    if isinstance(item, Completion):
                        completion = item
                    else:
                        first = first if first is not None else time.monotonic() - start
                        queue.put_nowait(item)
        except Exception as exc:  # noqa: BLE001 - reported in the record
            failure = exc
        if completion is not None and failure is None:
            record = _succeeded(model, role, round_no, start, completion)
        else:
            record = _failed(
                model,
                role,
                round_no,
                start,
                failure or InnerCallError(f"{model}: the stream ended without a response"),
                limit,
                deadline_bound,
                step,
            )
            completion = None
        record.first_token_s = first
        if ledger is not None:
            ledger.append(record)  # here, not in the consumer: it may be paused (a client reading slowly, or gone)
        queue.put_nowait((record, completion))

    reader = asyncio.ensure_future(read())
    if ledger is not None:
        ledger.readers.add(reader)
        reader.add_done_callback(ledger.readers.discard)
    try:
        item = await queue.get()
        while isinstance(item, str):
            # Deltas that arrived while the consumer was busy go out as one piece: fewer, larger chunks for a
            # client that reads slower than the model writes (each chunk costs the proxy a little work).
            following: Any = None
            while following is None and not queue.empty():
                following = queue.get_nowait()
                if isinstance(following, str):
                    item, following = item + following, None
            yield item
            item = following if following is not None else await queue.get()
    finally:
        if not reader.done():
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
    yield item


@dataclass(frozen=True)
class PanelCall:
    member: int  # index in the panel
    model: str
    messages: list[Message]


@dataclass(frozen=True)
class Quorum:
    """Stop waiting for stragglers: once `k` members answered and `straggler_timeout` seconds passed
    since the k-th answer, the remaining calls are cancelled (and billed nothing: they did not complete)."""

    k: int
    straggler_timeout: float


async def run_panel(
    caller: Caller,
    calls: Sequence[PanelCall],
    params: dict[str, Any],
    timeout: float,
    deadline: Deadline,
    round_no: int,
    quorum: Quorum | None = None,
    completed: Ledger | None = None,
) -> list[tuple[PanelCall, CallRecord, Completion | None]]:
    """Run every member's call concurrently; results in panel order. Cancelling this cancels all calls.
    `completed` receives each call's record as soon as it finishes (kept even if this is cancelled)."""

    def call(c: PanelCall) -> Coroutine[Any, Any, tuple[CallRecord, Completion | None]]:
        return timed_call(
            caller,
            model=c.model,
            messages=c.messages,
            params=params,
            timeout=timeout,
            deadline=deadline,
            role="member",
            round_no=round_no,
            step="panel member",
            ledger=completed,
        )

    if len(calls) == 1:  # a panel of one (a cascade's single-model tier): no task, no quorum to wait for
        return [(calls[0], *await call(calls[0]))]
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    tasks = {asyncio.ensure_future(call(c)): i for i, c in enumerate(calls)}
    results: dict[int, tuple[CallRecord, Completion | None]] = {}
    pending = set(tasks)
    cutoff: float | None = None
    try:
        while pending:
            wait = None if cutoff is None else max(0.0, cutoff - loop.time())
            done, pending = await asyncio.wait(pending, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                results[tasks[task]] = task.result()
            if (
                quorum is not None
                and cutoff is None
                and sum(1 for _, completion in results.values() if completion is not None) >= quorum.k
            ):
                cutoff = loop.time() + quorum.straggler_timeout
            if cutoff is not None and loop.time() >= cutoff:
                break
    finally:
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
    for task in pending:  # stragglers cut off after the quorum (the only way the loop leaves calls pending)
        assert quorum is not None
        c = calls[tasks[task]]
        error = f"straggler: cut off {quorum.straggler_timeout:g}s after {quorum.k} members answered"
        results[tasks[task]] = (
            CallRecord(
                c.model,
                "member",
                round_no,
                ok=False,
                latency_s=time.monotonic() - started,
                error=error,
                started=started,
            ),
            None,
        )
    return [(c, *results[i]) for i, c in enumerate(calls)]
