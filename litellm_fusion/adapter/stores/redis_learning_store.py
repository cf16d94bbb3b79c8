"""The learning store (learning/store.py) on the proxy's Redis (adapter/stores/redis_store.py), through LiteLLM's
RedisCache, with the judge cache's bounds: every call is bounded by `judge_cache.timeout_ms`, after a failure
Redis is skipped for a few seconds, and one warning is logged per `judge_cache.warn_interval_s`. A failure raises
StoreUnavailable, which the learner turns into "the shipped prior decides".

Keys (under `learning.prefix`, the scope in braces so that one scope's keys share a Redis Cluster slot):
`{<scope>}:labels:<arm>` (list, newest first, capped at max_labels), `{<scope>}:arms` (set), `{<scope>}:count`,
`{<scope>}:model`, `{<scope>}:version`, `{<scope>}:lock`. Every key expires `learning.ttl` seconds after its
last write.
"""

from __future__ import annotations

from typing import Any

from ...config.cache import JudgeCacheSettings
from ...config.learning import LearningSettings
from ...learning.store import StoreUnavailable
from .redis_store import RedisStore, StoresByCache

READ_ALL_TIMEOUT_S = 5.0  # reading every label of a scope for a refit (background work, megabytes)


def _text(raw: Any) -> str:
    return raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)


class RedisLearningStore(RedisStore):
    warning = "litellm_fusion: learning store unavailable (%s: %s: %s); the shipped prior decides until it is back"
    unavailable = StoreUnavailable

    def __init__(self, judge: JudgeCacheSettings, learning: LearningSettings, redis_cache: Any) -> None:
        super().__init__(judge.model_copy(update={"prefix": learning.prefix}), redis_cache)

    def _k(self, scope: str, *parts: str) -> str:
        return self._key("{" + scope + "}:" + ":".join(parts))

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

        return await self.run("label write", op)

    async def read_labels(self, scope: str) -> dict[str, list[str]]:
        async def op(client: Any) -> dict[str, list[str]]:
            arms = sorted(_text(a) for a in await client.smembers(self._k(scope, "arms")))
            pipe = client.pipeline(transaction=False)
            for arm in arms:
                pipe.lrange(self._k(scope, "labels", arm), 0, -1)
            lists = await pipe.execute() if arms else []
            return {arm: [_text(r) for r in records] for arm, records in zip(arms, lists) if records}

        return await self.run("label read", op, READ_ALL_TIMEOUT_S)

    async def label_count(self, scope: str) -> int:
        async def op(client: Any) -> int:
            return int(await client.get(self._k(scope, "count")) or 0)

        return await self.run("label count read", op)

    async def model_version(self, scope: str) -> int:
        async def op(client: Any) -> int:
            return int(await client.get(self._k(scope, "version")) or 0)

        return await self.run("model version read", op)

    async def read_model(self, scope: str) -> str | None:
        async def op(client: Any) -> str | None:
            raw = await client.get(self._k(scope, "model"))
            return None if raw is None else _text(raw)

        return await self.run("model read", op, READ_ALL_TIMEOUT_S)

    async def publish_model(self, scope: str, version: int, encoded: str, ttl: int) -> None:
        version_key, model_key = self._k(scope, "version"), self._k(scope, "model")

        async def op(client: Any) -> None:
            await client.set(model_key, encoded, ex=ttl)  # the model first: a reader that sees the version finds it
            await client.set(version_key, str(version), ex=ttl)

        await self.run("model write", op, READ_ALL_TIMEOUT_S)

    async def try_lock(self, scope: str, seconds: int) -> bool:
        async def op(client: Any) -> bool:
            return bool(await client.set(self._k(scope, "lock"), "1", nx=True, ex=seconds))

        return await self.run("lock", op)

    async def unlock(self, scope: str) -> None:
        async def op(client: Any) -> None:
            await client.delete(self._k(scope, "lock"))

        await self.run("unlock", op)


class LearningStores:
    """The learning store on the proxy's current RedisCache (None when no Redis is configured)."""

    def __init__(self, judge: JudgeCacheSettings, learning: LearningSettings) -> None:
        self.judge, self.learning = judge, learning
        self._by_cache = StoresByCache(lambda redis_cache: RedisLearningStore(judge, learning, redis_cache))

    def current(self) -> RedisLearningStore | None:
        return self._by_cache.current()
