"""Audit counts shared by every replica, on the proxy's Redis (adapter/stores/redis_store.py: how it is found and how it
degrades), through LiteLLM's RedisCache client, used raw (we must tell "unavailable" apart).

Layout: one hash per (scope, arm, UTC day), `<prefix><scope>|<arm>|<YYYY-MM-DD>` (LiteLLM's namespace first, when
one is set), fields `agree`, `disagree`, `undecided` (HINCRBY: two replicas' audits add up) and `cost` (USD,
HINCRBYFLOAT); it expires `window_days + 1` days after its last write. Model names, arms, counts and dollars only:
no prompt text, no ids.

Redis down or slow: each read and write is bounded by `timeout_ms`; after a failure Redis is skipped for 5 s; a
warning is logged at most once per `warn_interval_s`; the book then reports the estimate `unavailable` (audits still
run and are counted in Prometheus). Never raises. Without any Redis configured, counts stay in this process
(`MemoryCounts`).
"""

from __future__ import annotations

from typing import Any

from ...config.audit import AuditRunnerSettings
from ...engine.audit.estimate import DAY_S, OUTCOMES, AuditOutcome, MemoryCounts, Tally, day_of
from .redis_store import RedisStore, RedisUnavailable, StoresByCache


def bucket_key(prefix: str, scope: str, arm: str, day: str) -> str:
    """The Redis key of one day's counts (before LiteLLM's namespace); the CLI builds the same."""
    return f"{prefix}{scope}|{arm}|{day}"


def tally_of(raw: dict[Any, Any] | None) -> Tally:
    """A stored hash as a Tally; a foreign or corrupt field counts as 0."""

    def read(field: str, kind: type) -> Any:
        value = (raw or {}).get(field, (raw or {}).get(field.encode(), 0))
        try:
            return kind(value.decode() if isinstance(value, bytes) else value)
        except (TypeError, ValueError):
            return kind(0)

    return Tally(*(max(read(o, int), 0) for o in OUTCOMES), cost=max(read("cost", float), 0.0))


class RedisAuditCounts(RedisStore):
    warning = "litellm_fusion: audit estimates unavailable (%s: %s: %s); audits go on, counted in Prometheus only"
    settings: AuditRunnerSettings

    def _bucket(self, scope: str, arm: str, day: str) -> str:
        return self._key(bucket_key("", scope, arm, day))

    async def add(self, scope: str, arm: str, outcome: AuditOutcome, cost: float, now: float) -> bool:
        key = self._bucket(scope, arm, day_of(now))

        async def op(client: Any) -> None:
            pipe = client.pipeline(transaction=False)
            pipe.hincrby(key, outcome, 1)
            if cost:
                pipe.hincrbyfloat(key, "cost", float(cost))
            pipe.expire(key, int((self.settings.window_days + 1) * DAY_S))
            await pipe.execute()

        try:
            await self.run("write", op)
        except RedisUnavailable:  # any Redis problem: unavailable
            return False
        return True

    async def read(self, scope: str, arm: str, days: list[str]) -> Tally | None:
        async def op(client: Any) -> list[Any]:
            pipe = client.pipeline(transaction=False)
            for day in days:
                pipe.hgetall(self._bucket(scope, arm, day))
            return await pipe.execute()

        try:
            found = await self.run("read", op)
        except RedisUnavailable:
            return None
        total = Tally()
        for raw in found:
            total = total + tally_of(raw)
        return total


class ProxyAuditCounts:
    """The proxy's Redis when one is configured (found at each call: the proxy may rebuild its Router), else this
    process's memory."""

    def __init__(self, settings: AuditRunnerSettings) -> None:
        self.settings = settings
        self.memory = MemoryCounts(keep_days=settings.window_days + 1)
        self._by_cache = StoresByCache(lambda redis_cache: RedisAuditCounts(settings, redis_cache))

    def current(self) -> RedisAuditCounts | MemoryCounts:
        return self._by_cache.current() or self.memory

    @property
    def shared(self) -> bool:
        return isinstance(self.current(), RedisAuditCounts)

    async def add(self, scope: str, arm: str, outcome: AuditOutcome, cost: float, now: float) -> bool:
        return await self.current().add(scope, arm, outcome, cost, now)

    async def read(self, scope: str, arm: str, days: list[str]) -> Tally | None:
        return await self.current().read(scope, arm, days)
