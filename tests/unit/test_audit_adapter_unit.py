"""Live audits' adapter pieces without a proxy: the Redis counts behind LiteLLM's RedisCache (fakeredis over TCP),
the labels and jobs a cascade request gives, the routed guard, the call metadata, and `litellm-fusion audit`."""

from __future__ import annotations

import asyncio
import io
import json
import time
from typing import Any

import pytest
import redis
from litellm.caching.redis_cache import RedisCache

from litellm_fusion.adapter.audit.audit_calls import AUDIT_CALL_KEY, call_metadata, caller_identity
from litellm_fusion.adapter.routing.audit_routing import guard_route, routed_job
from litellm_fusion.adapter.stores.redis_audit_store import RedisAuditCounts
from litellm_fusion.cli_audit import audit_report, audited_arms, print_report
from litellm_fusion.config import parse_fusion_params
from litellm_fusion.config.audit import AuditConfig, AuditRunnerSettings
from litellm_fusion.engine import FusionEngine
from litellm_fusion.engine.audit import AuditBook, MemoryCounts, Tally
from litellm_fusion.engine.audit.cascade_plan import cascade_work, plan_cascade
from litellm_fusion.engine.audit.estimate import window
from litellm_fusion.engine.runner import collect
from litellm_fusion.routing.strategy import Decision, DeploymentProfile
from tests.support.scripted_caller import ScriptedCaller

SETTINGS = AuditRunnerSettings(timeout_ms=5000, warn_interval_s=3600)


def store_for(raw: redis.Redis) -> RedisAuditCounts:
    kw = raw.connection_pool.connection_kwargs
    return RedisAuditCounts(SETTINGS, RedisCache(host=kw["host"], port=kw["port"]))


def test_redis_counts_add_up_across_stores_with_a_ttl_and_no_text(raw: redis.Redis):
    async def go() -> Tally | None:
        now = time.time()
        first, second = store_for(raw), store_for(raw)  # two replicas
        assert await first.add("fusion/c", "tier:1", "agree", 0.25, now)
        assert await second.add("fusion/c", "tier:1", "disagree", 0.5, now)
        assert await second.add("fusion/c", "tier:1", "undecided", 0.0, now)
        return await first.read("fusion/c", "tier:1", window(now, 7))

    assert asyncio.run(go()) == Tally(agree=1, disagree=1, undecided=1, cost=0.75)
    (key,) = raw.keys("*")
    assert key.startswith("litellm_fusion:audit:fusion/c|tier:1|")
    assert 7 * 86400 < raw.ttl(key) <= 8 * 86400
    assert raw.hgetall(key) == {"agree": "1", "disagree": "1", "undecided": "1", "cost": "0.75"}


def test_redis_down_is_unavailable_and_never_raises(vanishing_redis: Any, caplog: pytest.LogCaptureFixture):
    with vanishing_redis() as (host, port):
        dead = RedisAuditCounts(AuditRunnerSettings(timeout_ms=200), RedisCache(host=host, port=port))

    async def go() -> tuple[bool, Tally | None]:
        return await dead.add("s", "tier:1", "agree", 0.0, time.time()), await dead.read("s", "tier:1", ["x"])

    assert asyncio.run(go()) == (False, None)
    assert "audit estimates unavailable" in caplog.text


CASCADE = parse_fusion_params(
    "fusion/c",
    {"model": "fusion/cascade", "tiers": [["a", "b"], ["s"]], "audit": {"rate": 1.0, "max_disagreement": 0.1}},
)


def answered(answers: dict[str, str], refuse: dict[int, str] | None = None) -> Any:
    events = FusionEngine(CASCADE, ScriptedCaller(answers)).events(
        [{"role": "user", "content": "q"}], {}, False, refuse=refuse
    )
    return asyncio.run(collect(events)).cascade


def test_an_accepted_answer_gives_a_paid_audit_and_an_acceptance_label():
    plan = plan_cascade(AuditBook(MemoryCounts()), CASCADE, [{"role": "user", "content": "q"}])
    assert plan is not None and plan.sampled and plan.refuse == {}
    jobs, labels = cascade_work(
        CASCADE,
        plan,
        [{"role": "user", "content": "q"}],
        {"temperature": 0.2},
        answered({"a": "B", "b": "B", "s": "C"}),
    )
    (job,) = jobs
    assert (job.arm, job.tier, job.source, job.paid) == ("tier:1", "1", "audit", True)
    assert job.ask is not None and job.ask.models == ("s",) and job.ask.params == {"temperature": 0.2}
    assert [(label.arm, label.good, label.source) for label in labels] == [("tier:1", True, "acceptance")]


def test_an_escalation_gives_a_free_check_and_a_refused_tier_a_free_audit():
    messages = [{"role": "user", "content": "q"}]
    jobs, labels = cascade_work(CASCADE, None, messages, {}, answered({"a": "A", "b": "B", "s": "C"}))
    (check,) = jobs
    assert (check.source, check.paid, check.reference.text) == ("escalation_check", False, "C")
    assert [(label.good, label.source) for label in labels] == [(False, "acceptance")]
    jobs, labels = cascade_work(CASCADE, None, messages, {}, answered({"a": "B", "b": "B", "s": "C"}, {1: "tripped"}))
    (audit,) = jobs
    assert (audit.source, audit.paid, audit.answer.text, audit.reference.text) == ("audit", False, "B", "C")
    assert [(label.good, label.source) for label in labels] == [(True, "acceptance")]  # it would have accepted


def profile(name: str, strength: float) -> DeploymentProfile:
    return DeploymentProfile(
        id=f"id-{name}", model=f"openai/{name}", input_cost=1e-7, output_cost=1e-7, strength=strength
    )


def test_a_tripped_deployment_is_suspended_and_its_audit_asks_it_by_id():
    cheap, strong = profile("cheap", 1.0), profile("strong", 3.0)
    book = AuditBook(MemoryCounts())
    audit = AuditConfig(rate=1.0, max_disagreement=0.1)
    chosen = Decision(cheap, "cheapest", 0.0, strongest=strong)
    decision, entry = guard_route(
        book, "auto", audit, [cheap, strong], chosen, [], lambda s: Decision(strong, "x", 0.0, strongest=strong)
    )
    assert decision.chosen is cheap and entry["sampled"] and "suspended" not in entry
    book.watch("auto", "openai/cheap", 0.1).guardrail.tripped = True  # type: ignore[union-attr]
    decision, entry = guard_route(
        book, "auto", audit, [cheap, strong], chosen, [], lambda s: Decision(strong, "x", 0.0, strongest=strong)
    )
    assert decision.chosen is strong and entry["suspended"]["id"] == "id-cheap"

    from litellm.types.utils import ModelResponse

    reply = ModelResponse(
        choices=[{"index": 0, "message": {"role": "assistant", "content": "B"}, "finish_reason": "stop"}]
    )

    record = {"group": "auto", "deployment": "openai/strong", "audit": entry}
    job = routed_job(
        audit, record, {"messages": [{"role": "user", "content": "q"}], "optional_params": {"seed": 3}}, reply
    )
    assert job is not None and job.answer is None and job.reference.text == "B"
    assert job.ask.models == ("id-cheap",) and job.ask.params == {"seed": 3} and job.arm == "openai/cheap"


def test_audit_calls_carry_only_the_callers_identity_the_origin_and_the_tag():
    parent = {
        "user_api_key": "hash",
        "user_api_key_team_id": "team-1",
        "user_api_key_budget_reservation": {"reserved": 1},
        "routing_decision": {"x": 1},
        "spend_logs_metadata": {"fusion": {}},
    }
    identity = caller_identity(parent)
    assert identity["user_api_key"] == "hash" and identity["user_api_key_team_id"] == "team-1"
    assert "user_api_key_budget_reservation" not in identity and "routing_decision" not in identity
    meta = call_metadata(identity, "shadow_eval_judge", {"scope": "s"})
    assert meta["internal_call_origin"] == "shadow_eval_judge" and meta["tags"] == ["fusion-audit"]
    assert meta[AUDIT_CALL_KEY] == {"scope": "s"}


def test_the_cli_lists_audited_arms_and_prints_their_estimates(raw: redis.Redis):
    config = {
        "model_list": [
            {
                "model_name": "fusion/c",
                "litellm_params": {"model": "fusion/cascade", "tiers": [["a"], ["b"], ["s"]], "audit": {"rate": 0.1}},
            },
            {"model_name": "auto", "litellm_params": {"model": "openai/gpt-4o-mini"}},
            {"model_name": "auto", "litellm_params": {"model": "openai/o3"}},
        ],
        "litellm_fusion": {"routing": {"auto": {"audit": {"rate": 0.1}}}},
    }
    assert audited_arms(config) == [
        ("fusion/c", "tier:1", "1"),
        ("fusion/c", "tier:2", "2"),
        ("auto", "openai/gpt-4o-mini", "openai/gpt-4o-mini"),
    ]
    now = time.time()
    for outcome, n in (("agree", 97), ("disagree", 3)):
        raw.hincrby(f"litellm_fusion:audit:fusion/c|tier:1|{window(now, 1)[0]}", outcome, n)
    rows = audit_report(config, raw, now)
    first = rows[0]
    assert (first["agree"], first["disagree"], first["agreement"], first["interval"]) == (97, 3, 0.97, [0.9155, 0.9897])
    assert rows[1]["audits"] == 0 and rows[1]["interval"] is None
    out = io.StringIO()
    print_report(rows, out, as_json=False)
    first_line = out.getvalue().splitlines()[2].split()
    assert first_line[:4] == ["fusion/c", "1", "100", "97"] and "[0.9155, 0.9897]" in out.getvalue()
    out = io.StringIO()
    print_report(rows, out, as_json=True)
    assert json.loads(out.getvalue().splitlines()[0])["agreement"] == 0.97
