"""The learner on its Redis store (fakeredis over TCP behind LiteLLM's RedisCache): labels stored as features only,
capped and expiring; refit and publish; a second replica hot-loads the model; Redis unavailable falls back to the
prior without an error; a cascade's tier outcomes become labels."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import redis
from litellm.caching.redis_cache import RedisCache

from litellm_fusion.adapter.stores.redis_learning_store import RedisLearningStore
from litellm_fusion.config.cache import JudgeCacheSettings
from litellm_fusion.config.learning import LearningSettings
from litellm_fusion.engine.labels import Label
from litellm_fusion.learning.learner import Learner, Scope
from litellm_fusion.learning.priors import RoutingPrior, cascade_prior
from litellm_fusion.learning.store import LabelRecord

JUDGE = JudgeCacheSettings(timeout_ms=5000, warn_interval_s=3600)
SETTINGS = LearningSettings(refit_every=10, max_labels=25, min_labels=5, ttl=600, poll_s=0.01, seed=3)
SECRET = "Zanzibarian quokkas juggle marmalade"


def learner(port: int, settings: LearningSettings = SETTINGS) -> Learner:
    store = RedisLearningStore(JUDGE, settings, RedisCache(host="127.0.0.1", port=port))
    out = Learner(settings, lambda: store)
    out.register(Scope("grp", "group", RoutingPrior({"cheap": 0.0, "top": 2.5}, "top")))
    out.register(Scope("fusion/c", "tiers", cascade_prior([[0.0], [2.5]])))
    return out


def labels(n: int, good: bool, topic: str) -> list[Label]:
    return [
        Label("grp", "cheap", [{"role": "user", "content": f"{topic} {SECRET} {i}"}], good, "audit") for i in range(n)
    ]


async def feed(learner_: Learner, items: list[Label]) -> None:
    for label in items:
        await learner_.observe(label)
        await learner_.drain()  # in order: the refit happens at the label that makes it due


def test_labels_are_stored_as_features_capped_and_expiring(raw: redis.Redis, tcp_fake: tuple[str, int]) -> None:
    one = learner(tcp_fake[1])
    asyncio.run(feed(one, labels(30, True, "cooking")))
    key = f"{SETTINGS.prefix}{{grp}}:labels:cheap"
    assert raw.llen(key) == SETTINGS.max_labels  # capped: the oldest are gone
    assert 0 < raw.ttl(key) <= SETTINGS.ttl
    assert int(raw.get(f"{SETTINGS.prefix}{{grp}}:count")) == 30
    for k in raw.keys("*"):
        kind = raw.type(k)
        values = raw.lrange(k, 0, -1) if kind == "list" else raw.smembers(k) if kind == "set" else [raw.get(k)]
        for value in values:
            assert "quokka" not in value.lower() and "cooking" not in value.lower()
    record = LabelRecord.decode(raw.lindex(key, 0))
    assert record is not None and record.y == 1.0 and record.source == "audit"


def test_refit_publishes_and_another_replica_hot_loads(raw: redis.Redis, tcp_fake: tuple[str, int]) -> None:
    one, two = learner(tcp_fake[1]), learner(tcp_fake[1])

    async def run() -> None:
        await feed(one, labels(12, False, "quantum entanglement photon"))
        view = await two.refresh("grp")
        assert view.state == "learned" and view.model is not None and view.labels == 12  # labels observed
        assert view.model.version == 1 and view.model.observed == 10  # fitted when the 10th label came
        assert view.model.arms["cheap"].n == 10 and view.model.arms["cheap"].positives == 0
        await feed(two, labels(12, True, "soup recipe onion"))  # the other replica's labels add up
        assert (await one.refresh("grp")).model.version == 2  # type: ignore[union-attr]

    asyncio.run(run())
    assert len(one.fits) == 1 and len(two.fits) == 1
    published = json.loads(raw.get(f"{SETTINGS.prefix}{{grp}}:model"))
    assert published["version"] == 2 and published["observed"] == 20 and "quokka" not in json.dumps(published)


def test_refit_waits_for_enough_new_labels_and_takes_turns(raw: redis.Redis, tcp_fake: tuple[str, int]) -> None:
    one = learner(tcp_fake[1])

    async def run() -> None:
        await feed(one, labels(9, True, "a"))
        assert (await one.refresh("grp")).model is None  # refit_every = 10 not reached
        raw.set(f"{SETTINGS.prefix}{{grp}}:lock", "1")  # another replica is refitting
        await feed(one, labels(1, True, "a"))
        assert (await one.refresh("grp")).model is None
        raw.delete(f"{SETTINGS.prefix}{{grp}}:lock")
        assert await one.refit("grp") is not None  # due: the next label (or a forced refit) fits it

    asyncio.run(run())


def test_redis_unavailable_falls_back_to_the_prior_without_an_error(
    vanishing_redis: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with vanishing_redis() as (_, port):  # Redis goes away after the proxy started
        dead = learner(port, SETTINGS.model_copy(update={"poll_s": 0.0}))

    async def run() -> None:
        await feed(dead, labels(3, True, "x"))
        assert (await dead.refresh("grp")).state == "unavailable"

    with caplog.at_level("WARNING", logger="litellm_fusion"):
        asyncio.run(run())
    assert dead.dropped == 3
    assert sum("learning store unavailable" in r.message for r in caplog.records) == 1  # warned, once


def test_a_corrupt_model_is_ignored(raw: redis.Redis, tcp_fake: tuple[str, int]) -> None:
    raw.set(f"{SETTINGS.prefix}{{grp}}:version", "4")
    raw.set(f"{SETTINGS.prefix}{{grp}}:model", "{not a model")
    one = learner(tcp_fake[1])
    view = asyncio.run(one.refresh("grp"))
    assert view.model is None and view.state == "prior"

    async def refit() -> Any:
        await feed(one, labels(10, True, "b"))
        return await one.refresh("grp")

    assert asyncio.run(refit()).model.version == 5  # the next refit overwrites it, after the version seen


def test_cascade_labels_are_acceptances_and_audited_disagreements(raw: redis.Redis, tcp_fake: tuple[str, int]) -> None:
    one = learner(tcp_fake[1])
    msgs = [{"role": "user", "content": "q"}]
    asyncio.run(
        feed(
            one,
            [
                Label("fusion/c", "tier:1", msgs, True, "acceptance"),
                Label("fusion/c", "tier:1", msgs, False, "escalation_check"),
                Label("fusion/c", "tier:1", msgs, False, "audit"),
                Label("unknown", "tier:1", msgs, False, "audit"),  # not a learning scope here: dropped
            ],
        )
    )
    stored = raw.lrange(f"{SETTINGS.prefix}{{fusion/c}}:labels:tier:1", 0, -1)
    assert [LabelRecord.decode(r).y for r in reversed(stored)] == [1.0, 0.0]  # type: ignore[union-attr]
    assert raw.keys(f"{SETTINGS.prefix}{{unknown}}*") == []
