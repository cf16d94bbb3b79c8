"""The learning store (learning/store.py) on the Redis LiteLLM operators already configured, through LiteLLM's
RedisCache, with the judge cache's bounds: every call is bounded by `judge_cache.timeout_ms`, after a failure
Redis is skipped for a few seconds, and one warning is logged per `judge_cache.warn_interval_s`. A failure raises
StoreUnavailable, which the learner turns into "the shipped prior decides".

Keys (under `learning.prefix`, the scope in braces so that one scope's keys share a Redis Cluster slot):
`{<scope>}:labels:<arm>` (list, newest first, capped at max_labels), `{<scope>}:arms` (set), `{<scope>}:count`,
`{<scope>}:model`, `{<scope>}:version`, `{<scope>}:lock`. Every key expires `learning.ttl` seconds after its
last write.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from ..config.cache import JudgeCacheSettings
from ..config.learning import LearningSettings
from ..learning.store import StoreUnavailable
from .redis_judge_store import RETRY_AFTER_S, RedisJudgeStore, proxy_redis_cache

log = logging.getLogger("litellm_fusion")

T = TypeVar("T")
READ_ALL_TIMEOUT_S = 5.0  # reading every label of a scope for a refit (background work, megabytes)


def _text(raw: Any) -> str:
    return raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)


class RedisLearningStore(RedisJudgeStore):
    def __init__(self, judge: JudgeCacheSettings, learning: LearningSettings, redis_cache: Any) -> None:
        super().__init__(judge.model_copy(update={"prefix": learning.prefix}), redis_cache)

    def _failed(self, what: str, exc: BaseException) -> None:
        now = time.monotonic()
        self._skip_until = now + RETRY_AFTER_S
        if now - self._last_warning >= self.settings.warn_interval_s:
            self._last_warning = now
            log.warning(
                "litellm_fusion: learning store unavailable (%s: %s: %s); the shipped prior decides until it is back",
                what,
                type(exc).__name__,
                exc,
            )

    def _k(self, scope: str, *parts: str) -> str:
        return self._key("{" + scope + "}:" + ":".join(parts))

    async def _call(self, what: str, op: Callable[[Any], Awaitable[T]], timeout: float | None = None) -> T:
        if time.monotonic() < self._skip_until:
            raise StoreUnavailable("Redis skipped after a recent failure")
        client = None
        try:
            client = self.redis_cache.init_async_client()
            return await asyncio.wait_for(op(client), timeout or self.settings.timeout_ms / 1000)
        except Exception as exc:  # noqa: BLE001 - any Redis problem is "unavailable"
            self._failed(what, exc)
            await self._drop_idle_connections(client)
            raise StoreUnavailable(f"{what}: {type(exc).__name__}: {exc}") from None

    async def add_label(self, scope: str, arm: str, record: str, max_labels: int, ttl: int) -> int:
        labels, arms, count = self._k(scope, "labels", arm), self._k(scope, "arms"), self._k(scope, "count")

        async def op(client: Any) -> int:
            pipe = client.pipeline(transaction=False)
            pipe.lpush(labels, record)
            pipe.ltrim(labels, 0, max_labels - 1)
            pipe.expire(labels, ttl)
            pipe.sadd(arms, arm)
            pipe.expire(arms, ttl)
            pipe.incr(count)
            pipe.expire(count, ttl)
            return int((await pipe.execute())[5])

        return await self._call("label write", op)

    async def read_labels(self, scope: str) -> dict[str, list[str]]:
        async def op(client: Any) -> dict[str, list[str]]:
            arms = sorted(_text(a) for a in await client.smembers(self._k(scope, "arms")))
            pipe = client.pipeline(transaction=False)
            for arm in arms:
                pipe.lrange(self._k(scope, "labels", arm), 0, -1)
            lists = await pipe.execute() if arms else []
            return {arm: [_text(r) for r in records] for arm, records in zip(arms, lists) if records}

        return await self._call("label read", op, READ_ALL_TIMEOUT_S)

    async def label_count(self, scope: str) -> int:
        async def op(client: Any) -> int:
            return int(await client.get(self._k(scope, "count")) or 0)

        return await self._call("label count read", op)

    async def model_version(self, scope: str) -> int:
        async def op(client: Any) -> int:
            return int(await client.get(self._k(scope, "version")) or 0)

        return await self._call("model version read", op)

    async def read_model(self, scope: str) -> str | None:
        async def op(client: Any) -> str | None:
            raw = await client.get(self._k(scope, "model"))
            return None if raw is None else _text(raw)

        return await self._call("model read", op, READ_ALL_TIMEOUT_S)

    async def publish_model(self, scope: str, version: int, encoded: str, ttl: int) -> None:
        version_key, model_key = self._k(scope, "version"), self._k(scope, "model")

        async def op(client: Any) -> None:
            await client.set(model_key, encoded, ex=ttl)  # the model first: a reader that sees the version finds it
            await client.set(version_key, str(version), ex=ttl)

        await self._call("model write", op, READ_ALL_TIMEOUT_S)

    async def try_lock(self, scope: str, seconds: int) -> bool:
        async def op(client: Any) -> bool:
            return bool(await client.set(self._k(scope, "lock"), "1", nx=True, ex=seconds))

        return await self._call("lock", op)

    async def unlock(self, scope: str) -> None:
        async def op(client: Any) -> None:
            await client.delete(self._k(scope, "lock"))

        await self._call("unlock", op)


class LearningStores:
    """One RedisLearningStore per RedisCache object (the proxy may rebuild its Router), as JudgeStores."""

    def __init__(self, judge: JudgeCacheSettings, learning: LearningSettings) -> None:
        self.judge, self.learning = judge, learning
        self._stores: dict[int, RedisLearningStore] = {}

    def current(self) -> RedisLearningStore | None:
        redis_cache = proxy_redis_cache()
        if redis_cache is None:
            return None
        store = self._stores.get(id(redis_cache))
        if store is None or store.redis_cache is not redis_cache:
            store = self._stores[id(redis_cache)] = RedisLearningStore(self.judge, self.learning, redis_cache)
        return store
