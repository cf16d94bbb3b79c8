"""A replica's view of the shared audit estimates, and the guardrail of every audited arm.

The request path reads only this process's copy (`view`: no I/O); a copy older than `refresh_s` is refreshed in the
background from the counts (Redis: the sum of every replica's audits). An audit's outcome is added to the counts and
to the copy at once (`record`). Each guardrail change is reported once through `on_change` (the adapter logs one
line and sets the gauge). When the counts cannot be read or written, the arm's estimate is `unavailable`
(its guardrail keeps its last state) until a read succeeds again.

Time comes from an injectable `clock` (wall-clock seconds: it also names the day buckets), so tests drive a
guardrail with a fake clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .estimate import AuditCounts, AuditOutcome, Tally, window
from .guardrail import GuardChange, Guardrail

ChangeHook = Callable[[str, str, GuardChange], None]


@dataclass
class ArmState:
    guardrail: Guardrail | None
    tally: Tally = field(default_factory=Tally)
    available: bool = False  # the last read or write of the counts succeeded
    failed: bool = False  # the last read or write of the counts failed (False too before the first read)
    read_at: float | None = None  # clock() of the last successful read
    refreshing: bool = False


@dataclass(frozen=True)
class ArmView:
    tally: Tally | None  # None: not read yet (pending) or unavailable
    tripped: bool
    reason: str
    unavailable: bool = False  # the counts could not be read or written (Redis down)

    def as_metadata(self) -> dict[str, Any]:
        missing = "unavailable" if self.unavailable else "pending"
        out: dict[str, Any] = {"estimate": missing if self.tally is None else self.tally.as_metadata()}
        if self.tripped or self.reason:
            out["guardrail"] = {"tripped": self.tripped, "reason": self.reason}
        return out


class AuditBook:
    def __init__(
        self,
        counts: AuditCounts,
        window_days: int = 7,
        refresh_s: float = 5.0,
        clock: Callable[[], float] = time.time,
        on_change: ChangeHook | None = None,
    ) -> None:
        self.counts = counts
        self.window_days = window_days
        self.refresh_s = refresh_s
        self.clock = clock
        self.on_change = on_change
        self._arms: dict[tuple[str, str], ArmState] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def watch(self, scope: str, arm: str, max_disagreement: float | None) -> ArmState:
        """Register an audited arm (with its guardrail when `max_disagreement` is set); idempotent."""
        state = self._arms.get((scope, arm))
        if state is None:
            guard = Guardrail(max_disagreement) if max_disagreement is not None else None
            state = self._arms[(scope, arm)] = ArmState(guard)
        return state

    def arms(self) -> list[tuple[str, str]]:
        return list(self._arms)

    def view(self, scope: str, arm: str) -> ArmView:
        """This process's copy of the arm's estimate and guardrail, without waiting; a stale copy is refreshed in
        the background (when an event loop runs)."""
        state = self.watch(scope, arm, None)
        stale = state.read_at is None or self.clock() - state.read_at >= self.refresh_s
        if stale and not state.refreshing:
            self._refresh_later(scope, arm, state)
        guard = state.guardrail
        return ArmView(
            state.tally if state.available else None,
            bool(guard and guard.tripped),
            guard.reason if guard else "",
            state.failed,
        )

    def _refresh_later(self, scope: str, arm: str, state: ArmState) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        state.refreshing = True
        task = loop.create_task(self.refresh(scope, arm))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def refresh(self, scope: str, arm: str) -> bool:
        """Read the arm's windowed counts; False when they are unavailable."""
        state = self.watch(scope, arm, None)
        state.refreshing = True
        try:
            found = await self.counts.read(scope, arm, window(self.clock(), self.window_days))
        finally:
            state.refreshing = False
        if found is None:
            state.available, state.failed = False, True
            return False
        state.tally, state.available, state.failed, state.read_at = found, True, False, self.clock()
        self._evaluate(scope, arm, state)
        return True

    async def record(self, scope: str, arm: str, outcome: AuditOutcome, cost: float = 0.0) -> bool:
        """Count one audit outcome; False when the counts are unavailable (it is then in Prometheus only)."""
        state = self.watch(scope, arm, None)
        stored = await self.counts.add(scope, arm, outcome, cost, self.clock())
        if not stored:
            state.available, state.failed = False, True
            return False
        if state.available:
            state.tally = state.tally.plus(outcome, cost)
            self._evaluate(scope, arm, state)
        else:  # first write after an outage, or before the first read: read the whole window
            await self.refresh(scope, arm)
        return True

    def _evaluate(self, scope: str, arm: str, state: ArmState) -> None:
        if state.guardrail is None:
            return
        change = state.guardrail.evaluate(state.tally, self.clock())
        if change is not None and self.on_change is not None:
            self.on_change(scope, arm, change)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
