"""Audit counts and what they estimate: agreement of a cheaper arm with the top arm, with a Wilson interval.

Counts are kept per (scope, arm) in buckets of one UTC day; the estimate covers the last `window_days` days, today
included ("this week" with the default 7): a rolling window, so it neither jumps at a week boundary nor keeps what
the arm did a month ago. `MemoryCounts` keeps them in this process (a proxy without Redis, and unit tests); the
adapter's Redis store shares them between replicas (adapter/stores/redis_audit_store.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

AuditOutcome = Literal["agree", "disagree", "undecided"]
OUTCOMES: tuple[AuditOutcome, ...] = ("agree", "disagree", "undecided")
Z95 = 1.959963984540054
DAY_S = 86400


@dataclass(frozen=True)
class Tally:
    agree: int = 0
    disagree: int = 0
    undecided: int = 0
    cost: float = 0.0

    @property
    def decided(self) -> int:
        return self.agree + self.disagree

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.agree + other.agree,
            self.disagree + other.disagree,
            self.undecided + other.undecided,
            self.cost + other.cost,
        )

    def plus(self, outcome: AuditOutcome, cost: float = 0.0) -> Tally:
        return self + Tally(**{outcome: 1}, cost=cost)

    def agreement(self) -> Estimate | None:
        """Agreement among the decided audits (undecided ones are left out), with its 95% Wilson interval."""
        if not self.decided:
            return None
        low, high = wilson(self.agree, self.decided)
        return Estimate(self.agree / self.decided, low, high, self.decided)

    def disagreement(self) -> Estimate | None:
        found = self.agreement()
        return None if found is None else Estimate(1 - found.rate, 1 - found.high, 1 - found.low, found.n)

    def as_metadata(self) -> dict[str, object]:
        found = self.agreement()
        return {
            "agree": self.agree,
            "disagree": self.disagree,
            "undecided": self.undecided,
            **({} if found is None else {"agreement": round(found.rate, 4), "interval": found.rounded()}),
        }


@dataclass(frozen=True)
class Estimate:
    rate: float
    low: float
    high: float
    n: int

    def rounded(self) -> list[float]:
        return [round(self.low, 4), round(self.high, 4)]

    def text(self) -> str:
        return f"{self.rate:.3f} [{self.low:.3f}, {self.high:.3f}] n={self.n}"


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (95% with the default z); (0, 1) for n = 0."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def day_of(t: float) -> str:
    """The UTC day of a wall-clock time, as YYYY-MM-DD (the bucket an audit at `t` counts in)."""
    return time.strftime("%Y-%m-%d", time.gmtime(t))


def window(now: float, days: int) -> list[str]:
    """The buckets of the estimate at `now`: today and the `days - 1` days before it."""
    return [day_of(now - i * DAY_S) for i in range(days)]


class AuditCounts(Protocol):
    """Where audit outcomes are counted. Neither method raises; None / False: unavailable."""

    async def add(self, scope: str, arm: str, outcome: AuditOutcome, cost: float, now: float) -> bool: ...

    async def read(self, scope: str, arm: str, days: list[str]) -> Tally | None: ...


class MemoryCounts:
    """Counts in this process only (no Redis configured): a restart starts them again."""

    def __init__(self, keep_days: int = 8, clock: Callable[[], float] = time.time) -> None:
        self.keep_days = keep_days
        self.clock = clock
        self._buckets: dict[tuple[str, str, str], Tally] = {}

    async def add(self, scope: str, arm: str, outcome: AuditOutcome, cost: float, now: float) -> bool:
        key = (scope, arm, day_of(now))
        self._buckets[key] = self._buckets.get(key, Tally()).plus(outcome, cost)
        keep = set(window(now, self.keep_days))
        for old in [k for k in self._buckets if k[2] not in keep]:
            del self._buckets[old]
        return True

    async def read(self, scope: str, arm: str, days: list[str]) -> Tally | None:
        total = Tally()
        for day in days:
            total = total + self._buckets.get((scope, arm, day), Tally())
        return total
