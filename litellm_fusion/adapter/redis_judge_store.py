"""The judge cache's store: the Redis LiteLLM operators already configured, through LiteLLM's RedisCache.

Found at call time: `router_settings` redis_host/redis_port/redis_password give the Router a
RedisCache (`llm_router.cache.redis_cache`); otherwise `litellm_settings.cache` with type redis
(`litellm.cache.cache`). LiteLLM builds the client (cluster, sentinel, TLS); we use it raw, because
RedisCache's own get/set swallow errors and we must tell "miss" from "unavailable".

Redis down or slow: every read and write is bounded by `timeout_ms`; after a failure Redis is
skipped for `retry_after_s` (so a dead Redis costs requests nothing), a warning is logged at most
once per `warn_interval_s`, and the judge step reports `unavailable`. Never raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from ..config.cache import JudgeCacheSettings
from ..engine.judge_cache import CacheStatus

log = logging.getLogger("litellm_fusion")

RETRY_AFTER_S = 5.0


def proxy_redis_cache() -> Any | None:
    """LiteLLM's RedisCache configured on this proxy, if any."""
    import litellm
    from litellm.caching.redis_cache import RedisCache

    from .router_access import router_redis_cache

    redis_cache = router_redis_cache()
    if isinstance(redis_cache, RedisCache):
        return redis_cache
    response_cache = getattr(getattr(litellm, "cache", None), "cache", None)
    return response_cache if isinstance(response_cache, RedisCache) else None


class RedisJudgeStore:
    def __init__(self, settings: JudgeCacheSettings, redis_cache: Any) -> None:
        self.settings = settings
        self.redis_cache = redis_cache
        self._skip_until = 0.0
        self._last_warning = float("-inf")

    def _key(self, key: str) -> str:
        return self.redis_cache.check_and_fix_namespace(key=self.settings.prefix + key)

    def _failed(self, what: str, exc: BaseException) -> None:
        now = time.monotonic()
        self._skip_until = now + RETRY_AFTER_S
        if now - self._last_warning >= self.settings.warn_interval_s:
            self._last_warning = now
            log.warning(
                "litellm_fusion: judge cache unavailable (%s: %s: %s); fusion goes on without it",
                what,
                type(exc).__name__,
                exc,
            )

    async def _drop_idle_connections(self, client: Any) -> None:
        """After a failure, close the pool's idle connections: after a Redis restart each pooled
        connection is dead and would fail once more (re-arming the skip window); new ones reconnect."""
        pool = getattr(client, "connection_pool", None)
        if pool is None:
            return
        with contextlib.suppress(Exception):  # best effort
            await asyncio.wait_for(pool.disconnect(inuse_connections=False), self.settings.timeout_ms / 1000)

    async def get(self, key: str) -> tuple[CacheStatus, str | None]:
        if time.monotonic() < self._skip_until:
            return "unavailable", None
        client = None
        try:
            client = self.redis_cache.init_async_client()
            raw = await asyncio.wait_for(client.get(self._key(key)), self.settings.timeout_ms / 1000)
        except Exception as exc:  # noqa: BLE001 - any Redis problem degrades to "unavailable"
            self._failed("read", exc)
            await self._drop_idle_connections(client)
            return "unavailable", None
        return ("miss", None) if raw is None else ("hit", raw)

    async def set(self, key: str, value: str, ttl: int) -> bool:
        if time.monotonic() < self._skip_until:
            return False
        client = None
        try:
            client = self.redis_cache.init_async_client()
            await asyncio.wait_for(client.set(self._key(key), value, ex=ttl), self.settings.timeout_ms / 1000)
        except Exception as exc:  # noqa: BLE001
            self._failed("write", exc)
            await self._drop_idle_connections(client)
            return False
        return True


class JudgeStores:
    """One RedisJudgeStore per RedisCache object (the proxy may rebuild its Router)."""

    def __init__(self, settings: JudgeCacheSettings) -> None:
        self.settings = settings
        self._stores: dict[int, RedisJudgeStore] = {}

    def current(self) -> RedisJudgeStore | None:
        if not self.settings.enabled:
            return None
        redis_cache = proxy_redis_cache()
        if redis_cache is None:
            return None
        store = self._stores.get(id(redis_cache))
        if store is None or store.redis_cache is not redis_cache:
            store = self._stores[id(redis_cache)] = RedisJudgeStore(self.settings, redis_cache)
        return store
