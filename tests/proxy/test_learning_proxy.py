"""Learning (`learn: true`) through two real proxy replicas sharing a real redis-server: labels observed by one replica
change the other's decisions once it hot-loads the model; a learning cascade skips the tier predicted to fail and
still explores at the configured share; decisions show the model's version and label count; no prompt text reaches
Redis; Redis killed mid-stream: the shipped prior decides and every reply succeeds."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.fake_upstream import FakeUpstream
from tests.support.helpers import FUSION_WIRING, wait_for
from tests.support.proxy_fleet import Fleet
from tests.support.proxy_harness import ProxyProcess, fake_deployment
from tests.support.redis_harness import RedisServer

PRICES = {"l-a": (1e-7, 2e-7), "l-b": (2e-7, 3e-7), "l-top": (5e-6, 1.5e-5)}
GROUP = "learn-auto"
# strength, $/in, $/out: the shipped prior predicts a gain of 0.089 on CAPITAL, just under balanced's price of r-top
GROUP_DEPLOYMENTS = {"r-cheap": (1.3, 1e-7, 4e-7), "r-top": (2.0, 1e-5, 4e-5)}
CASCADE = "fusion/learning"
EXPLORE = 0.25
LEARNING = {"explore": EXPLORE, "seed": 11, "min_labels": 6, "refit_every": 6, "poll_s": 0.3}
MARK = "quokkamarmalade"  # distinctive prompt text: must never appear in Redis
CAPITAL = "What is the capital of {}? (ref " + MARK + ")"


def proxy_config(url: str, redis_port: int) -> dict[str, Any]:
    models = [fake_deployment(n, url, *p) for n, p in PRICES.items()]
    for name, (strength, price_in, price_out) in GROUP_DEPLOYMENTS.items():
        entry = fake_deployment(name, url, price_in, price_out)
        entry["model_name"], entry["model_info"]["strength"] = GROUP, strength
        models.append(entry)
    models.append(
        {
            "model_name": CASCADE,
            "litellm_params": {"model": "fusion/cascade", "tiers": [["l-a", "l-b"], ["l-top"]], "learn": True},
        }
    )
    return {
        "model_list": models,
        "router_settings": {"num_retries": 0, "redis_host": "127.0.0.1", "redis_port": redis_port},
        "litellm_settings": dict(FUSION_WIRING),
        "litellm_fusion": {
            "routing": {GROUP: {"mode": "balanced", "audit": {"rate": 1.0}, "learn": True}},
            "audits": {"refresh_s": 0.2, "timeout_ms": 500},
            "learning": LEARNING,
        },
    }


def fleet_proxies(fleet: Fleet) -> None:
    config = proxy_config(fleet.upstream.base_url, fleet.redis("learning").port)
    fleet.add("learning-a", config)
    fleet.add("learning-b", config)


@pytest.fixture(scope="module")
def redis_server(fleet: Fleet) -> RedisServer:
    return fleet.redis("learning")


@pytest.fixture(scope="module")
def replicas(fleet: Fleet) -> Iterator[tuple[ProxyProcess, ProxyProcess]]:
    with fleet.lease("learning-a") as a, fleet.lease("learning-b") as b:
        yield a, b


def steer(upstream: FakeUpstream) -> None:
    """The cheap tier never agrees (tier 1 escalates); the routed group's cheap deployment names the wrong city."""
    for model, text in {"l-a": "A", "l-b": "B", "l-top": "C", "r-cheap": "Lyon", "r-top": "Paris"}.items():
        upstream.set(model, text=text, prompt_tokens=20, completion_tokens=5)


def ask(proxy: ProxyProcess, model: str, text: str) -> tuple[Any, Any]:
    raw = proxy.client().chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": text}]
    )
    return raw.parse(), raw.headers


def capital(country: str) -> str:
    return CAPITAL.format(country)


def routed_to(proxy: ProxyProcess, country: str) -> tuple[str, str]:
    return _routed(proxy, country)[1:]


def _routed(proxy: ProxyProcess, country: str) -> tuple[str, str, str]:
    """(reply id, deployment, learning header) of one request to the routed group."""
    reply, headers = ask(proxy, GROUP, capital(country))
    return reply.id, headers["x-litellm-fusion-route-deployment"], headers.get("x-litellm-fusion-route-learning", "")


def spend_metadata(proxy: ProxyProcess, request_id: str) -> dict[str, Any]:
    """The request's spend row's metadata (written when LiteLLM logs it)."""
    rows = wait_for(lambda: [r for r in proxy.spend_rows() if r.get("request_id") == request_id], what="spend row")
    metadata = rows[0]["metadata"]
    return metadata if isinstance(metadata, dict) else json.loads(metadata)


def test_labels_seen_by_one_replica_change_the_other_replicas_decisions(replicas, upstream):
    one, two = replicas
    steer(upstream)
    before, learning = routed_to(two, "Peru")
    assert before == "openai/r-cheap" and learning == "prior; 0 labels"  # the shipped prior's choice
    countries = ["France", "Spain", "Kenya", "Norway", "Japan", "Chile", "Egypt", "Italy", "Ghana", "Nepal", "Cuba"]
    countries += ["Laos", "Mali", "Oman"]
    sent = [routed_to(one, country)[0] for country in countries]  # audited against the top one: they disagree
    assert sent[0] == "openai/r-cheap"  # until replica a's own first refit (after 6 labels), the prior's choice

    def flipped() -> tuple[str, str] | None:
        request_id, deployment, learning = _routed(two, "Peru")
        return (request_id, learning) if deployment == "openai/r-top" else None

    request_id, learning = wait_for(flipped, timeout=30, what="replica b to route by replica a's labels")
    assert re.fullmatch(r"learned v\d+; \d+ labels", learning), learning
    version, labels = map(int, re.findall(r"\d+", learning))
    assert version >= 1 and labels >= LEARNING["min_labels"]

    metadata = spend_metadata(two, request_id)
    routing = metadata["spend_logs_metadata"]["routing"]
    assert routing["learning"]["state"] == "learned" and routing["learning"]["model_version"] == version
    assert routing["learning"]["labels"] == labels
    assert routing["learning"]["p_learned"]["openai/r-cheap"] == routing["p_success"]["openai/r-cheap"]
    assert routing["p_success"]["openai/r-cheap"] < routing["p_success"]["openai/r-top"] - 0.099
    assert f"learned v{version}; {labels} labels" in metadata["routing_decision"]["signals"]  # LiteLLM's record


def test_a_learning_cascade_skips_the_tier_predicted_to_fail_and_still_explores(replicas, upstream):
    one, two = replicas
    steer(upstream)
    _, headers = ask(two, CASCADE, f"Which option? {MARK} warmup")
    assert headers["x-litellm-fusion-tier"] == "2" and headers["x-litellm-fusion-learning"].startswith("prior")

    def learned(proxy: ProxyProcess) -> bool:  # tier 1 escalates every time: labels of 0 until the model skips it
        _, h = ask(proxy, CASCADE, f"Which option? {MARK} {uuid.uuid4().hex[:6]}")
        return "skipped tier 1" in h["x-litellm-fusion-learning"]

    wait_for(lambda: learned(one), timeout=60, what="the learned model to skip tier 1")
    wait_for(lambda: learned(two), timeout=30, what="replica b to load it")
    skipped = explored = 0
    last_skip = ""
    for i in range(80):
        reply, h = ask(two, CASCADE, f"Which option? {MARK} {i}")
        assert reply.choices[0].message.content == "C" and h["x-litellm-fusion-tier"] == "2"
        escalations = h["x-litellm-fusion-escalations"]
        if "skipped tier 1" in h["x-litellm-fusion-learning"]:
            skipped += 1
            last_skip = reply.id
            assert "learned model v" in escalations and "predicted good" in escalations and "labels" in escalations
        else:
            assert "explored" in h["x-litellm-fusion-learning"] and "of 2 answers agree" in escalations
            explored += 1
    assert skipped + explored == 80
    assert 8 <= explored <= 34, explored  # the configured share, 0.25 (binomial 80 x 0.25 = 20, +-3.5 sd)
    metadata = spend_metadata(two, last_skip)
    fusion = metadata["spend_logs_metadata"]["fusion"]
    report = fusion["learning"]
    assert report["state"] == "learned" and report["model_version"] >= 1 and report["labels"] >= LEARNING["min_labels"]
    assert report["p_good"][0] < report["skip_below"] and report["skipped"] == [1] and not report["explored"]
    assert fusion["escalations"][0]["tier"] == 1 and fusion["escalations"][0]["code"] == "skipped"
    assert f"learned v{report['model_version']}" in " ".join(metadata["routing_decision"]["signals"])


def test_no_prompt_text_in_redis(replicas, redis_server):
    client = redis_server.client()
    keys = client.keys("*")
    assert any(k.startswith("litellm_fusion:learn:") for k in keys)
    words = {MARK, "capital", "peru", "option", "warmup"}
    for key in keys:
        kind = client.type(key)
        if kind == "string":
            values = [client.get(key)]
        elif kind == "list":
            values = client.lrange(key, 0, -1)
        elif kind == "set":
            values = list(client.smembers(key))
        elif kind == "hash":
            values = [json.dumps(client.hgetall(key))]
        elif kind == "zset":
            values = [m for m, _ in client.zrange(key, 0, -1, withscores=True)]
        else:
            values = [str(client.dump(key))]
        for text in [key, *values]:
            found = [w for w in words if w in str(text).lower()]
            assert not found, f"{found} in Redis under {key!r}"


def test_redis_killed_mid_stream_the_prior_decides_and_nothing_fails(replicas, upstream, redis_server):
    one, two = replicas
    steer(upstream)
    wait_for(lambda: routed_to(two, "Peru")[1].startswith("learned v"), what="the learned model in use")
    redis_server.stop()
    try:
        for i in range(10):  # every reply succeeds while the replicas notice
            for proxy in (one, two):
                reply, _ = ask(proxy, CASCADE, f"Which option? {MARK} down {i}")
                assert reply.choices[0].message.content == "C"

        def back_to_prior() -> str | None:
            deployment, learning = routed_to(two, "Peru")
            return learning if deployment == "openai/r-cheap" else None

        learning = wait_for(back_to_prior, timeout=30, what="the prior to decide again")
        assert learning.startswith("prior (learning store unavailable)")
        _, h = wait_for(lambda: _unavailable(one), timeout=30, what="replica a to notice")
        assert "of 2 answers agree" in h["x-litellm-fusion-escalations"]  # tier 1 runs again: no skip on the prior
    finally:
        redis_server.start()


def _unavailable(proxy: ProxyProcess) -> tuple[Any, Any] | None:
    reply, headers = ask(proxy, CASCADE, f"Which option? {MARK} after {uuid.uuid4().hex[:6]}")
    return (reply, headers) if headers["x-litellm-fusion-learning"].startswith("prior (learning store") else None
