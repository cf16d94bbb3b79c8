"""What the plugin's Redis stores (judge cache, audit counts, learning) share: the Redis LiteLLM operators already
configured, reached through LiteLLM's RedisCache, and one way of degrading when it is down.

Found at call time: `router_settings` redis_host/redis_port/redis_password give the Router a
RedisCache (`llm_router.cache.redis_cache`); otherwise `litellm_settings.cache` with type redis
(`litellm.cache.cache`). LiteLLM builds the client (cluster, sentinel, TLS); we use it raw, because
RedisCache's own get/set swallow errors and we must tell "miss" from "unavailable".

Redis down or slow (`RedisStore.run`): every call is bounded by `timeout_ms`; after a failure Redis is skipped
for `RETRY_AFTER_S` (so a dead Redis costs requests nothing) and the pool's idle connections are dropped; the
store's own warning is logged at most once per `warn_interval_s`. The failure reaches the store as its
`unavailable` exception, never as a Redis error; each store turns it into its documented degradation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Generic, Protocol, TypeVar

log = logging.getLogger("litellm_fusion")

RETRY_AFTER_S = 5.0

T = TypeVar("T")
S = TypeVar("S", bound="RedisStore")


class RedisUnavailable(Exception):
    """Redis failed, or is skipped after a recent failure."""


class RedisBounds(Protocol):
    """The settings a store reads (JudgeCacheSettings and AuditRunnerSettings both have them)."""

    @property
    def prefix(self) -> str: ...

    @property
    def timeout_ms(self) -> int: ...

    @property
    def warn_interval_s(self) -> float: ...


def proxy_redis_cache() -> Any | None:
    """LiteLLM's RedisCache configured on this proxy, if any."""
    import litellm
    from litellm.caching.redis_cache import RedisCache

    from ..proxy_access.router_access import router_redis_cache

    redis_cache = router_redis_cache()
    if isinstance(redis_cache, RedisCache):
        return redis_cache
    response_cache = getattr(getattr(litellm, "cache", None), "cache", None)
    return response_cache if isinstance(response_cache, RedisCache) else None


class RedisStore:
    """One store on one RedisCache. A subclass names its warning (`%s` slots: what failed, the error's type, the
    error) and, if its callers expect another one, the exception a failure raises."""

    warning: ClassVar[str] = "litellm_fusion: Redis unavailable (%s: %s: %s)"
    unavailable: ClassVar[type[Exception]] = RedisUnavailable

    def __init__(self, settings: RedisBounds, redis_cache: Any) -> None:
        self.settings = settings
        self.redis_cache = redis_cache
        self._skip_until = 0.0
        self._last_warning = float("-inf")

    def _key(self, key: str) -> str:
        """`key` under the store's prefix, and LiteLLM's namespace when one is set."""
        return self.redis_cache.check_and_fix_namespace(key=self.settings.prefix + key)

    def _failed(self, what: str, exc: BaseException) -> None:
        now = time.monotonic()
        self._skip_until = now + RETRY_AFTER_S
        if now - self._last_warning >= self.settings.warn_interval_s:
            self._last_warning = now
            log.warning(self.warning, what, type(exc).__name__, exc)

    async def _drop_idle_connections(self, client: Any) -> None:
        """After a failure, close the pool's idle connections: after a Redis restart each pooled
        connection is dead and would fail once more (re-arming the skip window); new ones reconnect."""
        pool = getattr(client, "connection_pool", None)
        if pool is None:
            return
        with contextlib.suppress(Exception):  # best effort, after a failure already reported
            await asyncio.wait_for(pool.disconnect(inuse_connections=False), self.settings.timeout_ms / 1000)

    async def run(self, what: str, op: Callable[[Any], Awaitable[T]], timeout: float | None = None) -> T:
        """`op(client)`, bounded by `timeout` (default `timeout_ms`); any failure raises `unavailable`."""
        if time.monotonic() < self._skip_until:
            raise self.unavailable("Redis skipped after a recent failure")
        client = None
        try:
            client = self.redis_cache.init_async_client()
            return await asyncio.wait_for(op(client), timeout or self.settings.timeout_ms / 1000)
        except Exception as exc:  # noqa: BLE001 - any Redis problem is "unavailable"
            self._failed(what, exc)
            await self._drop_idle_connections(client)
            raise self.unavailable(f"{what}: {type(exc).__name__}: {exc}") from None


class StoresByCache(Generic[S]):
    """One store per RedisCache object (the proxy may rebuild its Router, and with it its RedisCache)."""

    def __init__(self, make: Callable[[Any], S]) -> None:
        self._make = make
        self._stores: dict[int, S] = {}

    def current(self) -> S | None:
        """The store on the proxy's RedisCache now; None when no Redis is configured."""
        redis_cache = proxy_redis_cache()
        if redis_cache is None:
            return None
        store = self._stores.get(id(redis_cache))
        if store is None or store.redis_cache is not redis_cache:
            store = self._stores[id(redis_cache)] = self._make(redis_cache)
        return store
