"""The judge cache with fakeredis (TCP) behind LiteLLM's RedisCache: hit, miss, corrupt, unavailable, TTL."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
import redis
from litellm.caching.redis_cache import RedisCache

from litellm_fusion.adapter.stores.redis_judge_store import RedisJudgeStore
from litellm_fusion.config import parse_fusion_params
from litellm_fusion.config.cache import JudgeCacheSettings
from litellm_fusion.engine import Completion, FusionEngine
from litellm_fusion.engine.judge_cache import JudgeCacheUse

SETTINGS = JudgeCacheSettings(ttl=300, timeout_ms=5000, warn_interval_s=3600)  # generous: behaviour, not latency


class Counting:
    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    async def __call__(
        self, model: str, messages: list[dict[str, Any]], params: dict[str, Any], timeout: float
    ) -> Completion:
        self.calls.append(model)
        return Completion(
            self.answers[model], cost=0.01 if model == "j" else 0.001, prompt_tokens=5, completion_tokens=5
        )


@pytest.fixture()
def server(raw: redis.Redis) -> redis.Redis:
    return raw


def redis_cache(raw: redis.Redis) -> RedisCache:
    kw = raw.connection_pool.connection_kwargs
    return RedisCache(host=kw["host"], port=kw["port"])


def engine(mode: str, caller: Counting, store: Any, ttl: int = 300) -> FusionEngine:
    cfg = parse_fusion_params(f"fusion/{mode}", {"model": f"fusion/{mode}", "panel": ["a", "b"], "judge": "j"})
    return FusionEngine(cfg, caller, JudgeCacheUse(store, ttl))


def ask(e: FusionEngine, text: str = "q"):
    return asyncio.run(e.run([{"role": "user", "content": text}], {}))


@pytest.mark.parametrize(
    "mode, judge_answer, expected",
    [
        ("best-of", json.dumps({"winner": 2, "reason": "b wins"}), "B"),
        ("merge", "merged text", "merged text"),
        ("debate", "settled text", "settled text"),
    ],
)
def test_miss_then_hit_skips_the_judge_with_the_same_reply(
    server: redis.Redis, mode: str, judge_answer: str, expected: str
):
    store = RedisJudgeStore(SETTINGS, redis_cache(server))
    caller = Counting({"a": "A", "b": "B", "j": judge_answer})
    first = ask(engine(mode, caller, store))
    assert first.judge.cache == "miss" and first.answer == expected
    judge_calls = caller.calls.count("j")
    second = ask(engine(mode, caller, store))
    assert second.judge.cache == "hit" and second.answer == expected
    assert caller.calls.count("j") == judge_calls, "a hit makes no judge call"
    assert second.cost == pytest.approx(first.cost - 0.01), "judge cost 0 on a hit"
    assert second.judge.reason == first.judge.reason


def test_key_covers_the_candidates_and_the_conversation(server: redis.Redis):
    store = RedisJudgeStore(SETTINGS, redis_cache(server))
    caller = Counting({"a": "A", "b": "B", "j": "m"})
    ask(engine("merge", caller, store), "q1")
    assert ask(engine("merge", caller, store), "q2").judge.cache == "miss"
    caller.answers["b"] = "B2"
    assert ask(engine("merge", caller, store), "q1").judge.cache == "miss"


def test_stored_with_prefix_versioned_value_and_ttl(server: redis.Redis):
    store = RedisJudgeStore(SETTINGS, redis_cache(server))
    ask(engine("merge", Counting({"a": "A", "b": "B", "j": "m"}), store, ttl=123))
    raw = server
    (key,) = raw.keys("*")
    assert key.startswith("litellm_fusion:judge:")
    value = json.loads(raw.get(key))
    assert value["format"] == "litellm-fusion/judge-decision" and value["v"] == 1 and value["decision"]["text"] == "m"
    assert 0 < raw.ttl(key) <= 123


@pytest.mark.parametrize(
    "garbage",
    [
        "not json",
        json.dumps({"format": "other", "v": 1}),
        json.dumps(
            {
                "format": "litellm-fusion/judge-decision",
                "v": 1,
                "key": "wrong",
                "decision": {"reason": "r", "text": "evil"},
            }
        ),
    ],
)
def test_foreign_or_corrupt_value_is_ignored_and_overwritten(server: redis.Redis, garbage: str):
    store = RedisJudgeStore(SETTINGS, redis_cache(server))
    caller = Counting({"a": "A", "b": "B", "j": "good"})
    ask(engine("merge", caller, store))
    raw = server
    (key,) = raw.keys("*")
    raw.set(key, garbage)
    result = ask(engine("merge", caller, store))
    assert result.judge.cache == "miss" and result.answer == "good"
    assert json.loads(raw.get(key))["decision"]["text"] == "good", "overwritten with a valid value"


def test_winner_out_of_range_for_these_candidates_is_not_returned(server: redis.Redis):
    store = RedisJudgeStore(SETTINGS, redis_cache(server))
    caller = Counting({"a": "A", "b": "B", "j": json.dumps({"winner": 1, "reason": "r"})})
    ask(engine("best-of", caller, store))
    raw = server
    (key,) = raw.keys("*")
    value = json.loads(raw.get(key))
    value["decision"]["winner"] = 7
    raw.set(key, json.dumps(value))
    assert ask(engine("best-of", caller, store)).judge.cache == "miss"


def verified_cascade(caller: Counting, store: Any) -> FusionEngine:
    cfg = parse_fusion_params(
        "fusion/cascade",
        {
            "model": "fusion/cascade",
            "mode": "cascade",
            "tiers": [["a"], ["s"]],
            "accept": "verifier",
            "verifier": {"model": "v", "threshold": 0.7},
        },
    )
    return FusionEngine(cfg, caller, JudgeCacheUse(store, 300))


@pytest.mark.parametrize("score, tier", [(8, 1), (5, 2)])
def test_a_cascade_verifiers_rating_is_cached_like_a_judge_decision(server: redis.Redis, score: int, tier: int):
    store = RedisJudgeStore(SETTINGS, redis_cache(server))
    caller = Counting({"a": "Paris", "s": "strong", "v": json.dumps({"score": score, "reason": "checked"})})
    first = ask(verified_cascade(caller, store))
    second = ask(verified_cascade(caller, store))
    assert caller.calls.count("v") == 1, "the repeat is rated from the cache"
    assert first.cascade.tier_reached == second.cascade.tier_reached == tier and first.answer == second.answer
    check = next(c for c in second.cascade.tiers[0].checks if c.check == "verifier")
    assert f"rated {score}/10 (threshold 0.7, cached rating): checked" in check.reason
    assert [c.role for c in second.calls if c.role == "verifier"] == [], "no verifier call billed on a hit"
    (key,) = server.keys("*")
    assert json.loads(server.get(key))["rating"] == {"score": score, "reason": "checked"}
    caller.answers["a"] = "Lyon"  # another answer to rate: a miss
    ask(verified_cascade(caller, store))
    assert caller.calls.count("v") == 2


def test_an_unusable_or_corrupt_rating_is_never_used(server: redis.Redis):
    store = RedisJudgeStore(SETTINGS, redis_cache(server))
    caller = Counting({"a": "Paris", "s": "strong", "v": "no rating here"})
    ask(verified_cascade(caller, store))
    assert server.keys("*") == [], "an unusable rating is not stored"
    caller.answers["v"] = json.dumps({"score": 9, "reason": "fine"})
    ask(verified_cascade(caller, store))
    (key,) = server.keys("*")
    value = json.loads(server.get(key))
    value["rating"]["score"] = 11
    server.set(key, json.dumps(value))
    result = ask(verified_cascade(caller, store))
    assert caller.calls.count("v") == 3 and result.cascade.tier_reached == 1, "out of range: a miss, rated again"


def test_unavailable_redis_degrades_and_warns_once(server: redis.Redis, caplog: pytest.LogCaptureFixture):
    cache = redis_cache(server)

    class Broken:
        async def get(self, *a: Any, **k: Any) -> None:
            raise ConnectionError("connection refused")

        async def set(self, *a: Any, **k: Any) -> None:
            raise ConnectionError("connection refused")

    cache.init_async_client = lambda: Broken()  # type: ignore[method-assign]
    store = RedisJudgeStore(SETTINGS, cache)
    caller = Counting({"a": "A", "b": "B", "j": "m"})
    with caplog.at_level(logging.WARNING, logger="litellm_fusion"):
        for _ in range(3):
            result = ask(engine("merge", caller, store))
            assert result.answer == "m" and result.judge.cache == "unavailable"
    assert len([r for r in caplog.records if "judge cache unavailable" in r.getMessage()]) == 1


def test_slow_redis_is_bounded_by_the_timeout(server: redis.Redis):
    cache = redis_cache(server)

    class Hanging:
        async def get(self, *a: Any, **k: Any) -> None:
            await asyncio.Event().wait()

    cache.init_async_client = lambda: Hanging()  # type: ignore[method-assign]
    store = RedisJudgeStore(JudgeCacheSettings(timeout_ms=20), cache)
    status, _ = asyncio.run(store.get("k"))
    assert status == "unavailable"


def test_per_model_ttl_off_and_validation():
    cfg = parse_fusion_params(
        "fusion/merge", {"model": "fusion/merge", "panel": ["a"], "judge": "j", "judge_cache_ttl": "off"}
    )
    assert cfg.judge_cache_ttl == "off"
    with pytest.raises(ValueError, match="judge_cache_ttl"):
        parse_fusion_params(
            "fusion/merge", {"model": "fusion/merge", "panel": ["a"], "judge": "j", "judge_cache_ttl": 0}
        )
