"""The judge cache's store, on the proxy's Redis (adapter/stores/redis_store.py: how it is found and how it degrades).

Redis down or slow: every read and write is bounded by `timeout_ms`; after a failure Redis is
skipped for a few seconds (so a dead Redis costs requests nothing), a warning is logged at most
once per `warn_interval_s`, and the judge step reports `unavailable`. Never raises.
"""

from __future__ import annotations

from ...config.cache import JudgeCacheSettings
from ...engine.judge_cache import CacheStatus
from .redis_store import RedisStore, RedisUnavailable, StoresByCache


class RedisJudgeStore(RedisStore):
    warning = "litellm_fusion: judge cache unavailable (%s: %s: %s); fusion goes on without it"

    async def get(self, key: str) -> tuple[CacheStatus, str | None]:
        try:
            raw = await self.run("read", lambda client: client.get(self._key(key)))
        except RedisUnavailable:  # any Redis problem degrades to "unavailable"
            return "unavailable", None
        return ("miss", None) if raw is None else ("hit", raw)

    async def set(self, key: str, value: str, ttl: int) -> bool:
        try:
            await self.run("write", lambda client: client.set(self._key(key), value, ex=ttl))
        except RedisUnavailable:
            return False
        return True


class JudgeStores:
    """The judge store on the proxy's current RedisCache (None when the cache is off or no Redis is configured)."""

    def __init__(self, settings: JudgeCacheSettings) -> None:
        self.settings = settings
        self._by_cache = StoresByCache(lambda redis_cache: RedisJudgeStore(settings, redis_cache))

    def current(self) -> RedisJudgeStore | None:
        if not self.settings.enabled:
            return None
        return self._by_cache.current()
