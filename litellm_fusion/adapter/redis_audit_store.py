"""Audit counts shared by every replica: the Redis LiteLLM operators already configured (as the judge cache finds it,
adapter/redis_judge_store.py), through LiteLLM's RedisCache client, used raw (we must tell "unavailable" apart).

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

import asyncio
import logging
import time
from typing import Any

from ..config.audit import AuditRunnerSettings
from ..engine.audit.estimate import DAY_S, OUTCOMES, AuditOutcome, MemoryCounts, Tally, day_of
from .redis_judge_store import RETRY_AFTER_S, proxy_redis_cache

log = logging.getLogger("litellm_fusion")


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


class RedisAuditCounts:
    def __init__(self, settings: AuditRunnerSettings, redis_cache: Any) -> None:
        self.settings = settings
        self.redis_cache = redis_cache
        self._skip_until = 0.0
        self._last_warning = float("-inf")

    def _key(self, scope: str, arm: str, day: str) -> str:
        return self.redis_cache.check_and_fix_namespace(key=bucket_key(self.settings.prefix, scope, arm, day))

    def _failed(self, what: str, exc: BaseException) -> None:
        now = time.monotonic()
        self._skip_until = now + RETRY_AFTER_S
        if now - self._last_warning >= self.settings.warn_interval_s:
            self._last_warning = now
            log.warning(
                "litellm_fusion: audit estimates unavailable (%s: %s: %s); audits go on, counted in Prometheus only",
                what,
                type(exc).__name__,
                exc,
            )

    async def _drop_idle(self, client: Any) -> None:
        pool = getattr(client, "connection_pool", None)
        if pool is None:
            return
        try:
            await asyncio.wait_for(pool.disconnect(inuse_connections=False), self.settings.timeout_ms / 1000)
        except Exception:  # noqa: BLE001, S110 - best effort, after a failure already reported
            pass

    async def add(self, scope: str, arm: str, outcome: AuditOutcome, cost: float, now: float) -> bool:
        if time.monotonic() < self._skip_until:
            return False
        client = None
        key = self._key(scope, arm, day_of(now))
        try:
            client = self.redis_cache.init_async_client()
            pipe = client.pipeline(transaction=False)
            pipe.hincrby(key, outcome, 1)
            if cost:
                pipe.hincrbyfloat(key, "cost", float(cost))
            pipe.expire(key, int((self.settings.window_days + 1) * DAY_S))
            await asyncio.wait_for(pipe.execute(), self.settings.timeout_ms / 1000)
        except Exception as exc:  # noqa: BLE001 - any Redis problem: unavailable
            self._failed("write", exc)
            await self._drop_idle(client)
            return False
        return True

    async def read(self, scope: str, arm: str, days: list[str]) -> Tally | None:
        if time.monotonic() < self._skip_until:
            return None
        client = None
        try:
            client = self.redis_cache.init_async_client()
            pipe = client.pipeline(transaction=False)
            for day in days:
                pipe.hgetall(self._key(scope, arm, day))
            found = await asyncio.wait_for(pipe.execute(), self.settings.timeout_ms / 1000)
        except Exception as exc:  # noqa: BLE001
            self._failed("read", exc)
            await self._drop_idle(client)
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
        self._stores: dict[int, RedisAuditCounts] = {}

    def current(self) -> RedisAuditCounts | MemoryCounts:
        redis_cache = proxy_redis_cache()
        if redis_cache is None:
            return self.memory
        store = self._stores.get(id(redis_cache))
        if store is None or store.redis_cache is not redis_cache:
            store = self._stores[id(redis_cache)] = RedisAuditCounts(self.settings, redis_cache)
        return store

    @property
    def shared(self) -> bool:
        return isinstance(self.current(), RedisAuditCounts)

    async def add(self, scope: str, arm: str, outcome: AuditOutcome, cost: float, now: float) -> bool:
        return await self.current().add(scope, arm, outcome, cost, now)

    async def read(self, scope: str, arm: str, days: list[str]) -> Tally | None:
        return await self.current().read(scope, arm, days)
