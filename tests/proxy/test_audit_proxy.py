"""Live audits through two real proxy replicas sharing a real redis-server: sampling, audits after the reply and
billed on their own, the guardrail tripping and letting go on real traffic, shared counts, Redis killed mid-stream,
no prompt text in Redis, routed groups, start-up errors and shutdown."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from litellm_fusion.engine.audit import is_sampled
from tests.support.fake_upstream import FakeUpstream
from tests.support.helpers import FUSION_WIRING, metric_sum, wait_for
from tests.support.proxy_fleet import Fleet
from tests.support.proxy_harness import ProxyProcess, fake_deployment
from tests.support.redis_harness import RedisServer

PRICES = {"a-1": (1e-7, 2e-7), "a-2": (2e-7, 3e-7), "a-top": (5e-6, 1.5e-5), "a-judge": (1e-6, 2e-6)}
TOKENS = {"a-1": (20, 5), "a-2": (21, 6), "a-top": (22, 7), "a-judge": (50, 9)}
GROUP = "auto-audited"
GROUP_DEPLOYMENTS = {"g-cheap": (2.0, 1e-7, 4e-7), "g-strong": (3.2, 1e-5, 4e-5)}  # strength, $/in, $/out
TIERS = [["a-1", "a-2"], ["a-top"]]
CASCADES = {
    "fusion/audited": {"audit": {"rate": 0.5}, "learn": True},
    "fusion/audited-all": {"audit": {"rate": 1.0}},
    "fusion/guarded": {"audit": {"rate": 1.0, "max_disagreement": 0.2}},
    "fusion/judged": {"audit": {"rate": 1.0, "judge": "a-judge"}},
}
SCAN_MARK = "zebra-quartz-"  # distinctive prompt text: must never appear in Redis


def proxy_config(url: str, redis_port: int) -> dict[str, Any]:
    models = [fake_deployment(n, url, *p) for n, p in PRICES.items()]
    for name, (strength, price_in, price_out) in GROUP_DEPLOYMENTS.items():
        entry = fake_deployment(name, url, price_in, price_out)
        entry["model_name"], entry["model_info"]["strength"] = GROUP, strength
        models.append(entry)
    models += [
        {"model_name": n, "litellm_params": {"model": "fusion/cascade", "tiers": TIERS, **o}}
        for n, o in CASCADES.items()
    ]
    return {
        "model_list": models,
        "router_settings": {"num_retries": 0, "redis_host": "127.0.0.1", "redis_port": redis_port},
        "litellm_settings": dict(FUSION_WIRING),
        "litellm_fusion": {
            "routing": {GROUP: {"mode": "balanced", "audit": {"rate": 1.0, "max_disagreement": 0.2}, "learn": True}},
            "audits": {"refresh_s": 0.2, "timeout_ms": 500},
        },
    }


def fleet_proxies(fleet: Fleet) -> None:
    redis = fleet.redis("audit")
    config = proxy_config(fleet.upstream.base_url, redis.port)
    fleet.add("audit-a", config)
    fleet.add("audit-b", config)


@pytest.fixture(scope="module")
def redis_server(fleet: Fleet) -> RedisServer:
    return fleet.redis("audit")


@pytest.fixture(scope="module")
def replicas(fleet: Fleet) -> Iterator[tuple[ProxyProcess, ProxyProcess]]:
    with fleet.lease("audit-a") as a, fleet.lease("audit-b") as b:
        yield a, b


def steer(upstream: FakeUpstream, **texts: Any) -> None:
    """Each model answers its text (or Behaviour options); defaults: the cheap tier agrees on B, the top says B."""
    defaults = {
        "a-1": "The answer is B.",
        "a-2": "B",
        "a-top": "B",
        "a-judge": '{"preference": "tie", "confidence": 0.9}',
    }
    defaults |= {"g-cheap": "B", "g-strong": "B"}
    for model, default in defaults.items():
        value = texts.get(model.replace("-", "_"), default)
        options = value if isinstance(value, dict) else {"text": value}
        pt, ct = TOKENS.get(model, (20, 5))
        upstream.set(model, **{"prompt_tokens": pt, "completion_tokens": ct, **options})


def ask(proxy: ProxyProcess, model: str, text: str) -> tuple[Any, Any]:
    raw = proxy.client().chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": text}]
    )
    return raw.parse(), raw.headers


def messages(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def audits(proxy: ProxyProcess, model: str, **labels: str) -> float:
    return metric_sum(proxy.metrics(), "litellm_fusion_audits_total", model=model, **labels)


def audited_past(proxy: ProxyProcess, seen: float, what: str, model: str, **labels: str) -> float:
    """Wait until the audit count is past `seen` (the count before the last request) and return it: the count before
    the next request, without scraping /metrics again (a scrape is ~60 ms, and a loop here makes up to 80 requests)."""
    return float(wait_for(lambda: (count := audits(proxy, model, **labels)) > seen and count, what=what))


def cost(model: str) -> float:
    (pt, ct), (price_in, price_out) = TOKENS[model], PRICES[model]
    return pt * price_in + ct * price_out


def test_the_sampling_rate_holds_and_both_replicas_make_the_same_choice(replicas, upstream):
    steer(upstream)
    prompts = [f"sampling question {i} {uuid.uuid4().hex[:6]}" for i in range(40)]
    expected = [is_sampled("fusion/audited", messages(p), 0.5) for p in prompts]
    before = sum(audits(p, "fusion/audited") for p in replicas)
    for i, prompt in enumerate(prompts):
        _, headers = ask(replicas[i % 2], "fusion/audited", prompt)
        assert headers["x-litellm-fusion-tier"] == "1"
        assert headers["x-litellm-fusion-audit"] == ("sampled" if expected[i] else "not sampled"), prompt
    # the same request on the other replica: the same choice
    for i, prompt in enumerate(prompts[:10]):
        _, headers = ask(replicas[(i + 1) % 2], "fusion/audited", prompt)
        assert headers["x-litellm-fusion-audit"] == ("sampled" if expected[i] else "not sampled")
    want = sum(expected) + sum(expected[:10])
    assert 10 <= sum(expected) <= 30  # rate 0.5 over 40 requests
    wait_for(lambda: sum(audits(p, "fusion/audited") for p in replicas) - before >= want, what="the audits")
    assert len(upstream.requests_for("a-top")) == want  # one top-tier call per sampled request, none for the others
    assert sum(audits(p, "fusion/audited", tier="1", outcome="agree") for p in replicas) - before == want


def spend_rows(proxy: ProxyProcess) -> list[dict[str, Any]]:
    rows = proxy.spend_rows()
    for row in rows:
        for key in ("metadata", "request_tags"):
            if isinstance(row.get(key), str):
                row[key] = json.loads(row[key])
    return rows


def audit_rows(proxy: ProxyProcess, model: str, since: str) -> list[dict[str, Any]]:
    """Spend rows tagged fusion-audit of calls to `model` that started at or after `since`."""
    return [
        r
        for r in spend_rows(proxy)
        if "fusion-audit" in (r.get("request_tags") or []) and r["model_group"] == model and r["startTime"] >= since
    ]


def test_an_audit_runs_after_the_reply_and_is_billed_once_on_its_own_spend_row(replicas, upstream):
    a, _ = replicas
    hold = threading.Event()
    steer(upstream, a_top={"text": "B", "hold": hold})
    before = audits(a, "fusion/audited-all")
    spend_before = metric_sum(a.metrics(), "litellm_spend_metric_total", requested_model="a-top")
    try:
        reply, headers = ask(a, "fusion/audited-all", f"after the reply {uuid.uuid4().hex}")
        # the reply is here while the audit's call to the top tier is still held at the provider
        assert headers["x-litellm-fusion-audit"] == "sampled" and headers["x-litellm-fusion-tier"] == "1"
        held = wait_for(lambda: upstream.requests_for("a-top"), what="the audit's call reaching the provider")
        assert len(held) == 1 and held[0].finished is None and audits(a, "fusion/audited-all") == before
    finally:
        hold.set()
    wait_for(lambda: audits(a, "fusion/audited-all") > before, what="the audit's outcome")
    assert audits(a, "fusion/audited-all", tier="1", outcome="agree") - before == 1
    # the reply's cost is the cheap tier's; the audit's is its own spend row on the same key, tagged fusion-audit
    tier_1 = cost("a-1") + cost("a-2")
    assert float(headers["x-litellm-response-cost"]) == pytest.approx(tier_1, rel=1e-9)
    (parent,) = wait_for(lambda: [r for r in spend_rows(a) if r["request_id"] == reply.id], what="the reply's row")
    assert parent["spend"] == pytest.approx(tier_1, rel=1e-9)
    (row,) = wait_for(lambda: audit_rows(a, "a-top", parent["startTime"]), what="the audit's row")
    assert row["spend"] == pytest.approx(cost("a-top"), rel=1e-9) and row["api_key"] == parent["api_key"]
    assert row["metadata"]["internal_call_origin"] == "shadow_eval_router"  # LiteLLM leaves it out of request counts
    assert row["request_id"] != parent["request_id"]
    assert metric_sum(a.metrics(), "litellm_fusion_audit_cost_total", model="fusion/audited-all") >= cost("a-top")
    # LiteLLM's Prometheus counts the audit's dollars once, under the caller's key (not as an inner call)
    spent = metric_sum(a.metrics(), "litellm_spend_metric_total", requested_model="a-top") - spend_before
    assert spent == pytest.approx(cost("a-top"), rel=1e-6)
    assert not metric_sum(a.metrics(), "litellm_spend_metric_total", hashed_api_key="None", requested_model="a-top")


def test_free_form_answers_are_decided_by_the_judge_billed_as_the_audit(replicas, upstream):
    a, _ = replicas
    essay = "The sea is wide and deep, " * 15
    steer(upstream, a_1=essay, a_2=essay, a_top="Mountains rise above the plains, " * 15)
    before = audits(a, "fusion/judged", outcome="agree")
    reply, headers = ask(a, "fusion/judged", f"Write about nature {uuid.uuid4().hex}")
    assert headers["x-litellm-fusion-tier"] == "1" and headers["x-litellm-fusion-audit"] == "sampled"
    wait_for(lambda: audits(a, "fusion/judged", outcome="agree") > before, what="the judged audit")  # a tie
    (judge_call,) = upstream.requests_for("a-judge")
    prompt = judge_call.body["messages"][1]["content"]
    assert 'label="A">' in prompt and 'label="B">' in prompt and "a-top" not in prompt  # blind
    rows = wait_for(lambda: audit_rows(a, "a-judge", ""), what="the judge call's row")
    assert rows[-1]["metadata"]["internal_call_origin"] == "shadow_eval_judge"
    assert rows[-1]["spend"] == pytest.approx(cost("a-judge"), rel=1e-9)
    total = metric_sum(a.metrics(), "litellm_fusion_audit_cost_total", model="fusion/judged")
    assert total >= cost("a-top") + cost("a-judge") - 1e-12
    assert reply.choices[0].message.content == essay


def guardrail_state(headers: Any) -> str:
    return headers["x-litellm-fusion-guardrail"]


def test_the_guardrail_trips_on_real_traffic_and_lets_go_when_the_tier_agrees_again(replicas, upstream):
    a, _ = replicas
    log_before = a.log_tail(10**7).count("audit guardrail")
    steer(upstream, a_top="C")  # the last tier disagrees with the cheap tier's B
    seen = audits(a, "fusion/guarded")
    for _ in range(10):
        _, headers = ask(a, "fusion/guarded", f"guarded question {uuid.uuid4().hex}")
        if "tripped" in guardrail_state(headers):
            break
        seen = audited_past(a, seen, "the audit", "fusion/guarded")
    else:
        pytest.fail("the guardrail never tripped")
    assert headers["x-litellm-fusion-tier"] == "2" and headers["x-litellm-fusion-escalations"].startswith(
        "1: guardrail:"
    )
    assert "tier 1 tripped: disagreement" in guardrail_state(headers)
    assert metric_sum(a.metrics(), "litellm_fusion_audit_guardrail_tripped", model="fusion/guarded", tier="1") == 1
    assert "audit guardrail TRIPPED for fusion/guarded tier:1" in a.log_tail(10**7)
    # while tripped, the tier's would-be answer meets the last tier's anyway: an audit at no extra call
    calls_before, free_before = len(upstream.requests_for("a-top")), audits(a, "fusion/guarded")
    _, headers = ask(a, "fusion/guarded", f"guarded question {uuid.uuid4().hex}")
    wait_for(lambda: audits(a, "fusion/guarded") > free_before, what="the guardrail's comparison")
    assert len(upstream.requests_for("a-top")) == calls_before + 1  # the escalation's own call, no audit call
    assert audits(a, "fusion/guarded", outcome="disagree") >= 2
    # the tier agrees again: the comparisons move the estimate until its upper bound is under the limit
    steer(upstream)
    seen = audits(a, "fusion/guarded")
    for _ in range(80):
        _, headers = ask(a, "fusion/guarded", f"guarded question {uuid.uuid4().hex}")
        if guardrail_state(headers) == "ok":
            break
        seen = audited_past(a, seen, "the comparison", "fusion/guarded")
    else:
        pytest.fail("the guardrail never let go")
    assert headers["x-litellm-fusion-tier"] == "1"
    assert metric_sum(a.metrics(), "litellm_fusion_audit_guardrail_tripped", model="fusion/guarded", tier="1") == 0
    log = a.log_tail(10**7)
    assert "audit guardrail released for fusion/guarded tier:1" in log
    assert log.count("audit guardrail") - log_before == 2, "one log line per change"


def test_two_replicas_share_their_counts_through_redis_and_the_cli_reads_them(replicas, upstream, redis_server):
    steer(upstream)
    a = replicas[0]
    before = sum(audits(p, "fusion/audited-all") for p in replicas)
    for i in range(6):
        ask(replicas[i % 2], "fusion/audited-all", f"shared question {i} {uuid.uuid4().hex}")
    wait_for(lambda: sum(audits(p, "fusion/audited-all") for p in replicas) - before == 6, what="six audits")
    client = redis_server.client()
    keys = client.keys("litellm_fusion:audit:fusion/audited-all|tier:1|*")
    stored = sum(int(client.hget(k, "agree") or 0) for k in keys)
    assert stored == sum(audits(p, "fusion/audited-all", outcome="agree") for p in replicas)  # both replicas' audits
    # each replica's estimate is the shared count
    for proxy in replicas:

        def shared(proxy: ProxyProcess = proxy) -> bool:
            _, headers = ask(proxy, "fusion/audited", f"read the estimate {uuid.uuid4().hex}")
            return headers["x-litellm-fusion-guardrail"] == "ok"

        wait_for(shared, what="an available estimate")
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "litellm_fusion.cli", "audit", "--config", str(a.workdir / "config.yaml"), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    rows = {(r["model"], r["tier"]): r for r in map(json.loads, out.splitlines())}
    row = rows[("fusion/audited-all", "1")]
    assert row["agree"] == stored and row["interval"][0] <= row["agreement"] <= row["interval"][1]
    assert ("fusion/guarded", "1") in rows and ("auto-audited", "openai/g-cheap") in rows


@pytest.mark.parametrize(
    "endpoint, stream",
    [("chat", True), ("messages", False), ("messages", True), ("responses", False), ("responses", True)],
)
def test_every_endpoint_streamed_or_not_is_audited_after_its_reply(replicas, upstream, endpoint: str, stream: bool):
    from tests.support.client_calls import ask as ask_endpoint

    steer(upstream)
    a = replicas[0]
    before = audits(a, "fusion/audited-all")
    text = ask_endpoint(
        a.base_url, a.master_key, endpoint, "fusion/audited-all", f"via {endpoint} {uuid.uuid4().hex}", stream=stream
    )
    assert text == "The answer is B."
    wait_for(lambda: audits(a, "fusion/audited-all") == before + 1, what="the audit of the request")
    assert len(upstream.requests_for("a-top")) == 1


def ask_group(proxy: ProxyProcess, text: str = "hi") -> Any:
    return ask(proxy, GROUP, text)[1]


def test_a_routed_group_is_audited_against_its_strongest_deployment_and_its_guardrail_suspends_routing(
    replicas, upstream
):
    a, _ = replicas
    steer(upstream)
    before = audits(a, GROUP, tier="openai/g-cheap")
    headers = ask_group(a)
    assert headers["x-litellm-fusion-route-deployment"] == "openai/g-cheap"
    assert headers["x-litellm-fusion-route-audit"] == "sampled" and headers["x-litellm-fusion-route-guardrail"] == "ok"
    wait_for(lambda: audits(a, GROUP, tier="openai/g-cheap", outcome="agree") > before, what="the routed audit")
    assert len(upstream.requests_for("g-strong")) == 1  # asked by the audit, by deployment id
    # the strongest disagrees: the guardrail trips and suspends routing to the cheap deployment
    steer(upstream, g_strong="C")
    seen = audits(a, GROUP)
    for _ in range(10):
        headers = ask_group(a)
        if "tripped" in headers["x-litellm-fusion-route-guardrail"]:
            break
        seen = audited_past(a, seen, "the routed audit", GROUP)
    else:
        pytest.fail("the routed guardrail never tripped")
    assert headers["x-litellm-fusion-route-deployment"] == "openai/g-strong"
    assert "deployment openai/g-cheap tripped" in headers["x-litellm-fusion-route-guardrail"]
    # while suspended, the cheap deployment is asked in the background so its estimate keeps moving
    steer(upstream)
    seen = audits(a, GROUP, tier="openai/g-cheap")
    for _ in range(80):
        headers = ask_group(a)
        if headers["x-litellm-fusion-route-guardrail"] == "ok":
            break
        seen = audited_past(a, seen, "the suspended arm's audit", GROUP, tier="openai/g-cheap")
    else:
        pytest.fail("the routed guardrail never let go")
    assert headers["x-litellm-fusion-route-deployment"] == "openai/g-cheap"


def redis_strings(client: Any) -> list[str]:
    """Every key of the Redis and every value under it, as text."""
    out = []
    for key in client.scan_iter(count=1000):
        out.append(key)
        kind = client.type(key)
        if kind == "string":
            out.append(str(client.get(key)))
        elif kind == "hash":
            out += [f"{k}={v}" for k, v in client.hgetall(key).items()]
        elif kind == "list":
            out += client.lrange(key, 0, -1)
        elif kind == "set":
            out += list(client.smembers(key))
        elif kind == "zset":
            out += [m for m, _ in client.zrange(key, 0, -1, withscores=True)]
    return out


def test_no_prompt_text_is_stored_in_redis(replicas, upstream, redis_server):
    steer(upstream)
    before = sum(audits(p, "fusion/audited-all") for p in replicas)
    for i, proxy in enumerate(replicas):
        ask(proxy, "fusion/audited-all", f"{SCAN_MARK}cascade secret {i}")
        ask_group(proxy, f"hi {SCAN_MARK}secret {i}")  # audited when routed to the cheap deployment
    wait_for(
        lambda: sum(audits(p, "fusion/audited-all") for p in replicas) - before >= 2,
        what="the audits of the marked prompts",
    )
    marked = [s for s in upstream.seen if SCAN_MARK in json.dumps(s.body)]
    wait_for(lambda: all(s.finished for s in marked), what="every call of the marked prompts")
    stored = redis_strings(redis_server.client())
    assert any(s.startswith("litellm_fusion:audit:") for s in stored)
    leaked = [s for s in stored if SCAN_MARK in s or "secret" in s]
    assert not leaked, leaked[:5]


def test_redis_killed_mid_stream_fails_no_reply_and_audits_go_on(replicas, upstream, redis_server):
    steer(upstream)
    before = sum(audits(p, "fusion/audited-all") for p in replicas)
    killed = threading.Event()

    def one(i: int) -> Any:
        if i == 8:
            redis_server.stop()
            killed.set()
        return ask(replicas[i % 2], "fusion/audited-all", f"redis outage {i} {uuid.uuid4().hex}")

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(one, range(24)))
    assert killed.is_set() and all(r.choices[0].message.content for r, _ in results)
    # audits still ran and were counted in Prometheus; the estimate says it is unavailable
    wait_for(lambda: sum(audits(p, "fusion/audited-all") for p in replicas) - before == 24, what="every audit")

    def unavailable() -> bool:
        reply, headers = ask(replicas[0], "fusion/audited-all", f"outage {uuid.uuid4().hex}")
        return headers["x-litellm-fusion-guardrail"] == "unavailable" and bool(reply.choices[0].message.content)

    wait_for(unavailable, timeout=20, what="the estimate reported unavailable")
    redis_server.start()

    def back() -> bool:
        return (
            ask(replicas[0], "fusion/audited-all", f"after {uuid.uuid4().hex}")[1]["x-litellm-fusion-guardrail"] == "ok"
        )

    wait_for(back, timeout=30, what="the estimate back once Redis is")


def test_an_audit_in_flight_at_shutdown_is_cancelled_and_counted(replicas, upstream):
    _, b = replicas
    hold = threading.Event()
    steer(upstream, a_top={"text": "B", "hold": hold})
    try:
        ask(b, "fusion/audited-all", f"shutdown {uuid.uuid4().hex}")
        wait_for(lambda: upstream.requests_for("a-top"), what="the audit in flight")
        b.stop()
    finally:
        hold.set()
    log = b.log_tail(10**6)
    assert "proxy shutdown: cancelled 1 audit(s) in flight (fusion/audited-all: 1)" in log, log[-3000:]
