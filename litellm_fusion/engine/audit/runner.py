"""Background work that never delays a reply: bounded concurrency, its own timeout, dropped and counted when full.

`submit` starts the work as a task and returns at once. At most `max_concurrent` pieces run together; with
`max_pending` running or waiting, a new piece is dropped (reason `overload`). A piece past its `timeout` is cancelled
(`timeout`); one that raises is dropped (`error`, logged); one cancelled from outside (the proxy shutting down: the
event loop cancels every task) is counted (`shutdown`) and logged, never silently lost. After `close` every
submission is dropped (`shutdown`). Each drop is reported through `on_drop(scope, reason)`.
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
        self._tasks: set[asyncio.Task[None]] = set()
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
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _run(self, scope: str, work: Callable[[], Awaitable[None]], timeout: float) -> None:
        try:
            async with self._slots:
                await asyncio.wait_for(work(), timeout)
        except TimeoutError:
            self.on_drop(scope, "timeout")
        except asyncio.CancelledError:
            self.on_drop(scope, "shutdown")
            log.warning(
                "litellm_fusion: %s of %s cancelled at shutdown (counted in litellm_fusion_audits_dropped_total)",
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

    async def close(self) -> int:
        """Stop: cancel what runs or waits (each counted as dropped at shutdown); returns how many were cancelled."""
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return len(tasks)
