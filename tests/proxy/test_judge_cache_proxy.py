"""Judge cache through real proxies and a real redis-server: hit/miss, TTL, shared replicas, Redis down,
corrupt values, and a fully repeated request answered from LiteLLM's response cache plus the judge cache."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from tests.support.fake_upstream import FakeUpstream
from tests.support.helpers import FUSION_WIRING, wait_for
from tests.support.proxy_fleet import Fleet
from tests.support.proxy_harness import ProxyProcess, fake_deployment
from tests.support.redis_harness import RedisServer

PRICES = {"c-a": (1e-6, 2e-6), "c-b": (2e-6, 3e-6), "c-judge": (1e-5, 2e-5)}
PREFIX = "litellm_fusion:judge:"


def config(upstream_url: str, redis_port: int, response_cache: bool = False) -> dict[str, Any]:
    models = [fake_deployment(n, upstream_url, *p) for n, p in PRICES.items()]
    models += [
        {
            "model_name": "fusion/best-of",
            "litellm_params": {"model": "fusion/best-of", "panel": ["c-a", "c-b"], "judge": "c-judge"},
        },
        {
            "model_name": "fusion/merge",
            "litellm_params": {
                "model": "fusion/merge",
                "panel": ["c-a", "c-b"],
                "judge": "c-judge",
                "judge_cache_ttl": 120,
            },
        },
        {
            "model_name": "fusion/merge-nocache",
            "litellm_params": {
                "model": "fusion/merge",
                "mode": "merge",
                "panel": ["c-a", "c-b"],
                "judge": "c-judge",
                "judge_cache_ttl": "off",
            },
        },
        {
            "model_name": "fusion/cascade-verified",
            "litellm_params": {
                "model": "fusion/cascade",
                "mode": "cascade",
                "tiers": [["c-a"], ["c-b"]],
                "accept": "verifier",
                "verifier": {"model": "c-judge", "threshold": 0.7},
            },
        },
    ]
    settings: dict[str, Any] = dict(FUSION_WIRING)
    cfg: dict[str, Any] = {
        "model_list": models,
        "router_settings": {"num_retries": 0, "redis_host": "127.0.0.1", "redis_port": redis_port},
        "litellm_settings": settings,
        "litellm_fusion": {"judge_cache": {"ttl": 3600, "timeout_ms": 5000}},
    }
    if response_cache:
        settings.update(cache=True, cache_params={"type": "redis", "host": "127.0.0.1", "port": redis_port})
    return cfg


def fleet_proxies(fleet: Fleet) -> None:
    """Two replicas of one proxy sharing one Redis (which a test stops and restarts), and a third proxy with
    LiteLLM's response cache, on a Redis of its own."""
    port = fleet.redis("judge-cache").port
    for name in ("judge-cache-1", "judge-cache-2"):
        fleet.add(name, config(fleet.upstream.base_url, port))
    fleet.add(
        "judge-cache-response-cache",
        config(fleet.upstream.base_url, fleet.redis("judge-cache-response-cache").port, response_cache=True),
    )


@pytest.fixture(scope="module")
def redis_server(fleet: Fleet) -> RedisServer:
    return fleet.redis("judge-cache")


@pytest.fixture(scope="module")
def proxies(fleet: Fleet) -> Iterator[tuple[ProxyProcess, ProxyProcess]]:
    with fleet.lease("judge-cache-1") as one, fleet.lease("judge-cache-2") as two:
        yield one, two


def client(proxy: ProxyProcess) -> openai.OpenAI:
    return proxy.openai_client()


def ask(proxy: ProxyProcess, model: str, text: str):
    raw = client(proxy).chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": text}]
    )
    return raw.parse(), raw.headers


def steer(upstream: FakeUpstream, judge: str) -> None:
    upstream.set("c-a", text="alpha", prompt_tokens=10, completion_tokens=4)
    upstream.set("c-b", text="beta", prompt_tokens=12, completion_tokens=6)
    upstream.set("c-judge", text=judge, prompt_tokens=90, completion_tokens=20)


JUDGE_COST = 90 * 1e-5 + 20 * 2e-5


def unique(label: str) -> str:
    return f"{label} {uuid.uuid4().hex}"


@pytest.mark.parametrize(
    "model, judge, answer",
    [
        ("fusion/best-of", json.dumps({"winner": 2, "reason": "beta is right"}), "beta"),
        ("fusion/merge", "alpha and beta", "alpha and beta"),
    ],
)
def test_repeat_is_a_hit_with_zero_judge_cost_and_the_same_reply(proxies, upstream, model, judge, answer):
    one, _ = proxies
    steer(upstream, judge)
    question = unique("q")
    first, h1 = ask(one, model, question)
    second, h2 = ask(one, model, question)
    assert (h1["x-litellm-fusion-judge-cache"], h2["x-litellm-fusion-judge-cache"]) == ("miss", "hit")
    assert first.choices[0].message.content == second.choices[0].message.content == answer
    assert len(upstream.requests_for("c-judge")) == 1
    assert float(h1["x-litellm-response-cost"]) - float(h2["x-litellm-response-cost"]) == pytest.approx(
        JUDGE_COST, rel=1e-9
    )


def test_decision_made_in_one_replica_is_a_hit_in_the_other(proxies, upstream):
    one, two = proxies
    steer(upstream, json.dumps({"winner": 1, "reason": "alpha"}))
    question = unique("shared")
    _, h1 = ask(one, "fusion/best-of", question)
    reply, h2 = ask(two, "fusion/best-of", question)
    assert (h1["x-litellm-fusion-judge-cache"], h2["x-litellm-fusion-judge-cache"]) == ("miss", "hit")
    assert reply.choices[0].message.content == "alpha" and h2["x-litellm-fusion-winner"] == "c-a"


@pytest.mark.parametrize("score, tier", [(9, "1"), (3, "2")])
def test_a_cascade_verifiers_rating_is_cached_across_replicas(proxies, upstream, score, tier):
    one, two = proxies
    steer(upstream, json.dumps({"score": score, "reason": "looked at it"}))
    question = unique("verified")
    first, h1 = ask(one, "fusion/cascade-verified", question)
    second, h2 = ask(two, "fusion/cascade-verified", question)
    assert h1["x-litellm-fusion-tier"] == h2["x-litellm-fusion-tier"] == tier
    assert first.choices[0].message.content == second.choices[0].message.content
    assert len(upstream.requests_for("c-judge")) == 1, "the second replica rates from the shared cache"
    assert float(h1["x-litellm-response-cost"]) - float(h2["x-litellm-response-cost"]) == pytest.approx(
        JUDGE_COST, rel=1e-9
    )
    if tier == "2":
        assert (
            "cached rating" in h2["x-litellm-fusion-escalations"]
            and "cached rating" not in h1["x-litellm-fusion-escalations"]
        )


def test_ttl_is_set_and_an_expired_decision_is_a_miss(proxies, upstream, redis_server):
    one, _ = proxies
    steer(upstream, "merged")
    question = unique("ttl")
    r = redis_server.client()
    before = set(r.keys(PREFIX + "*"))
    ask(one, "fusion/merge", question)
    (key,) = set(r.keys(PREFIX + "*")) - before
    assert 0 < r.ttl(key) <= 120, "the per-model judge_cache_ttl (120 s) applies"
    r.pexpire(key, 1)
    wait_for(lambda: not r.exists(key), what="the key to expire")
    _, headers = ask(one, "fusion/merge", question)
    assert headers["x-litellm-fusion-judge-cache"] == "miss"
    assert len(upstream.requests_for("c-judge")) == 2


def test_ttl_off_never_uses_the_cache(proxies, upstream):
    one, _ = proxies
    steer(upstream, "merged")
    question = unique("off")
    for _ in range(2):
        _, headers = ask(one, "fusion/merge-nocache", question)
        assert headers["x-litellm-fusion-judge-cache"] == "off"
    assert len(upstream.requests_for("c-judge")) == 2


def test_corrupt_value_is_ignored_and_overwritten(proxies, upstream, redis_server):
    one, _ = proxies
    steer(upstream, json.dumps({"winner": 2, "reason": "beta"}))
    question = unique("corrupt")
    r = redis_server.client()
    before = set(r.keys(PREFIX + "*"))
    ask(one, "fusion/best-of", question)
    (key,) = set(r.keys(PREFIX + "*")) - before
    r.set(key, '{"winner": 1, "note": "planted"}')
    reply, headers = ask(one, "fusion/best-of", question)
    assert headers["x-litellm-fusion-judge-cache"] == "miss" and reply.choices[0].message.content == "beta"
    assert json.loads(r.get(key))["format"] == "litellm-fusion/judge-decision"


def test_redis_stopped_mid_run_every_request_still_succeeds(proxies, upstream, redis_server):
    one, _ = proxies
    steer(upstream, json.dumps({"winner": 1, "reason": "alpha"}))
    assert ask(one, "fusion/best-of", unique("up"))[1]["x-litellm-fusion-judge-cache"] == "miss"
    redis_server.stop()
    try:
        for i in range(3):
            reply, headers = ask(one, "fusion/best-of", unique(f"down{i}"))
            assert reply.choices[0].message.content == "alpha"
            assert headers["x-litellm-fusion-judge-cache"] == "unavailable"
    finally:
        redis_server.start()


def test_fully_repeated_request_costs_nothing_with_litellms_response_cache(upstream, fleet):
    steer(upstream, json.dumps({"winner": 2, "reason": "beta"}))
    with fleet.lease("judge-cache-response-cache") as proxy:
        question = unique("repeat")
        first, h1 = ask(proxy, "fusion/best-of", question)
        seen = len(upstream.seen)
        second, h2 = ask(proxy, "fusion/best-of", question)
    assert len(upstream.seen) == seen == 3, (
        "the repeat reached no upstream: panel from LiteLLM's cache, judge from ours"
    )
    assert h2["x-litellm-fusion-judge-cache"] == "hit"
    assert second.choices[0].message.content == first.choices[0].message.content == "beta"
    assert float(h1["x-litellm-response-cost"]) > 0
    assert float(h2.get("x-litellm-response-cost", "0")) == 0.0
