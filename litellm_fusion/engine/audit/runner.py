"""Background work that never delays a reply: bounded concurrency, its own timeout, dropped and counted when full.

`submit` starts the work as a task and returns at once. At most `max_concurrent` pieces run together; with
`max_pending` running or waiting, a new piece is dropped (reason `overload`). A piece past its `timeout` is cancelled
(`timeout`); one that raises is dropped (`error`, logged). At shutdown `cancel_all` (synchronous: the proxy's shutdown
hook calls it) cancels what runs or waits, each counted (`shutdown`) at once; one cancelled from anywhere else is
counted and logged when it stops. Never silently lost. After `cancel_all` or `close` every submission is dropped
(`shutdown`). Each drop is reported through `on_drop(scope, reason)`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("litellm_fusion")

DropHook = Callable[[str, str], None]
DROP_REASONS = ("overload", "timeout", "error", "shutdown", "failed", "budget")


class AuditRunner:
    def __init__(self, max_concurrent: int, max_pending: int, on_drop: DropHook, name: str = "audit") -> None:
        self.max_pending = max_pending
        self.on_drop = on_drop
        self.name = name
        self._slots = asyncio.Semaphore(max_concurrent)
        self._tasks: dict[asyncio.Task[None], str] = {}  # running or waiting -> its scope
        self._counted: set[asyncio.Task[None]] = set()  # cancelled by cancel_all, already counted
        self._closed = False

    @property
    def pending(self) -> int:
        return len(self._tasks)

    def submit(self, scope: str, work: Callable[[], Awaitable[None]], timeout: float) -> bool:
        """Start `work()` in the background; False when it was dropped instead."""
        if self._closed:
            self.on_drop(scope, "shutdown")
            return False
        if len(self._tasks) >= self.max_pending:
            self.on_drop(scope, "overload")
            return False
        task = asyncio.get_running_loop().create_task(self._run(scope, work, timeout))
        self._tasks[task] = scope
        task.add_done_callback(self._done)
        return True

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)
        self._counted.discard(task)

    async def _run(self, scope: str, work: Callable[[], Awaitable[None]], timeout: float) -> None:
        try:
            async with self._slots:
                await asyncio.wait_for(work(), timeout)
        except TimeoutError:
            self.on_drop(scope, "timeout")
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task not in self._counted:
                self.on_drop(scope, "shutdown")
                log.warning(
                    "litellm_fusion: %s of %s cancelled (counted in litellm_fusion_audits_dropped_total)",
                    self.name,
                    scope,
                )
            raise
        except Exception:
            self.on_drop(scope, "error")
            log.exception("litellm_fusion: %s of %s failed", self.name, scope)

    async def join(self) -> None:
        """Wait for every piece submitted so far (tests and benchmarks)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def cancel_all(self) -> dict[str, int]:
        """Stop at once (synchronous): cancel what runs or waits, each counted as dropped at shutdown now; later
        submissions are dropped. Returns how many were cancelled per scope."""
        self._closed = True
        cancelled: dict[str, int] = {}
        for task, scope in list(self._tasks.items()):
            if task.done() or task in self._counted:
                continue
            self._counted.add(task)
            task.cancel()
            self.on_drop(scope, "shutdown")
            cancelled[scope] = cancelled.get(scope, 0) + 1
        return cancelled

    async def close(self) -> int:
        """`cancel_all`, then wait for the cancelled pieces to stop; returns how many were cancelled."""
        tasks = list(self._tasks)
        cancelled = sum(self.cancel_all().values())
        await asyncio.gather(*tasks, return_exceptions=True)
        return cancelled
