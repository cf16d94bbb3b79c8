"""Savings where LiteLLM shows savings: the plugin fills LiteLLM's `routing_decision` record (routing: the
group's strongest deployment as the baseline; cascade: the last tier), LiteLLM records the figure in the
spend row's `autorouter_savings` and sums it into its daily tables' `autorouter_savings_spend`, and that
equals our own figure (the Prometheus savings - overspend counters and our spend metadata)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.client_calls import ask
from tests.support.db_proxy import DbProxy, sql_text, token_hash
from tests.support.db_scenario import (
    AGREEING,
    ROUTED_GROUP,
    fleet_proxies,  # noqa: F401 - the tier's proxy joins the session's fleet
    steer,
)
from tests.support.fake_upstream import FakeUpstream
from tests.support.helpers import EASY, HARD, metric_sum, wait_for

CASCADE = "fusion/cascade"


def routing_counters(metrics: str) -> tuple[float, float]:
    """(routed calls, savings - overspend) of the routed group, from our Prometheus counters."""
    return (
        metric_sum(metrics, "litellm_fusion_routing_decisions_total", group=ROUTED_GROUP, outcome="ok"),
        metric_sum(metrics, "litellm_fusion_routing_savings_usd_total", group=ROUTED_GROUP)
        - metric_sum(metrics, "litellm_fusion_routing_overspend_usd_total", group=ROUTED_GROUP),
    )


def cascade_counters(metrics: str) -> tuple[float, float]:
    """(cascade requests, savings - overspend) of the cascade, from our Prometheus counters."""
    return (
        metric_sum(metrics, "litellm_fusion_cascade_requests_total", fusion_model=CASCADE),
        metric_sum(metrics, "litellm_fusion_cascade_savings_usd_total", fusion_model=CASCADE)
        - metric_sum(metrics, "litellm_fusion_cascade_overspend_usd_total", fusion_model=CASCADE),
    )


def our_savings(db: DbProxy, counters: Callable[[str], tuple[float, float]], before: str, requests: int) -> float:
    """Our Prometheus savings figure for the last `requests` requests (once they have been counted)."""
    start = counters(before)
    after = wait_for(
        lambda: (m := db.proxy.metrics()) and counters(m)[0] >= start[0] + requests and m,
        timeout=30,
        what="our savings counters",
    )
    return counters(after)[1] - start[1]


def litellm_savings(db: DbProxy, key: str, requests: int) -> tuple[list[dict[str, Any]], float]:
    """The key's spend rows, and the savings LiteLLM's daily user table holds for the key."""
    rows = wait_for(lambda: len(r := db.spend_rows(key)) == requests and r, timeout=30, what="the spend rows")
    sql = (
        f"SELECT sum(autorouter_savings_spend) AS saved, sum(api_requests) AS requests "
        f'FROM "LiteLLM_DailyUserSpend" WHERE api_key = {sql_text(token_hash(key))}'
    )
    daily = wait_for(lambda: (r := db.rows(sql)[0])["requests"] == requests and r, timeout=30, what="the daily table")
    return rows, float(daily["saved"])


def test_litellm_daily_savings_equal_our_routing_savings(db_proxy: DbProxy, upstream: FakeUpstream):
    steer(upstream)
    key = db_proxy.new_key(key_alias="routing-savings")
    before = db_proxy.proxy.metrics()
    prompts = [(EASY, False), (HARD, False), (EASY, True)]
    for text, stream in prompts:
        ask(db_proxy.base_url, key, "chat", ROUTED_GROUP, text, stream=stream)
    assert [s.model for s in upstream.seen] == ["small", "big", "small"], "easy -> cheap, hard -> strong"
    ours = our_savings(db_proxy, routing_counters, before, len(prompts))
    rows, daily = litellm_savings(db_proxy, key, len(prompts))

    recomputed = 0.0
    for row in rows:
        routing = row["metadata"]["spend_logs_metadata"]["routing"]
        strongest = routing["strongest"]
        recomputed += (
            strongest["input_cost_per_token"] * row["prompt_tokens"]
            + strongest["output_cost_per_token"] * row["completion_tokens"]
            - row["spend"]
        )
        decision = row["metadata"]["routing_decision"]
        assert decision["savings_baseline_model"] == strongest["deployment"] == "openai/big"
        assert decision["routed_model"] == routing["deployment"] and "escalated" not in decision
    per_row = [row["metadata"]["autorouter_savings"] for row in rows]
    assert per_row[1] == 0.0 and per_row[0] > 0, "no savings on the strongest deployment, some on the cheap one"
    assert ours > 0
    assert daily == pytest.approx(ours, rel=1e-9)
    assert sum(per_row) == pytest.approx(ours, rel=1e-9)
    assert recomputed == pytest.approx(ours, rel=1e-9)


def test_litellm_daily_savings_equal_our_cascade_savings(db_proxy: DbProxy, upstream: FakeUpstream):
    key = db_proxy.new_key(key_alias="cascade-savings")
    before = db_proxy.proxy.metrics()
    for variant, stream in ((AGREEING, False), ({}, True)):  # stops at the cheap tier; escalates to the last
        upstream.reset()
        steer(upstream, **variant)
        ask(db_proxy.base_url, key, "chat", CASCADE, "Which option? A, B or C", stream=stream)
    ours = our_savings(db_proxy, cascade_counters, before, 2)
    rows, daily = litellm_savings(db_proxy, key, 2)

    entries = [row["metadata"]["spend_logs_metadata"]["fusion"] for row in rows]
    assert [e["tier_reached"] for e in entries] == [1, 2]
    assert entries[0]["savings"] > 0 > entries[1]["savings"]
    assert [row["metadata"]["autorouter_savings"] for row in rows] == pytest.approx(
        [e["savings"] for e in entries], rel=1e-9
    )
    assert daily == pytest.approx(ours, rel=1e-9)
    assert sum(e["savings"] for e in entries) == pytest.approx(ours, rel=1e-9)
