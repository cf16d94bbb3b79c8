"""Routing savings where LiteLLM shows savings: the plugin fills LiteLLM's `routing_decision` record
(baseline: the group's strongest deployment), LiteLLM prices the counterfactual into the spend row's
`autorouter_savings` and its daily tables' `autorouter_savings_spend`, and that equals our own figure
(the Prometheus savings - overspend counters, and the spend row's `routing` entry)."""

from __future__ import annotations

import pytest

from client_calls import ask
from db_proxy import DbProxy, sql_text, token_hash
from db_scenario import ROUTED_GROUP, steer
from fake_upstream import FakeUpstream
from helpers import EASY, HARD, metric_sum, wait_for


def routing_savings(metrics: str) -> tuple[float, float]:
    """(decisions, savings - overspend) of the routed group, from our Prometheus counters."""
    decisions = metric_sum(metrics, "litellm_fusion_routing_decisions_total", group=ROUTED_GROUP, outcome="ok")
    saved = metric_sum(metrics, "litellm_fusion_routing_savings_usd_total", group=ROUTED_GROUP)
    over = metric_sum(metrics, "litellm_fusion_routing_overspend_usd_total", group=ROUTED_GROUP)
    return decisions, saved - over


def test_litellm_daily_savings_equal_our_routing_savings(db_proxy: DbProxy, upstream: FakeUpstream):
    steer(upstream)
    key = db_proxy.new_key(key_alias="routing-savings")
    decisions_before, ours_before = routing_savings(db_proxy.proxy.metrics())
    prompts = [(EASY, False), (HARD, False), (EASY, True)]
    for text, stream in prompts:
        ask(db_proxy.base_url, key, "chat", ROUTED_GROUP, text, stream=stream)
    assert [s.model for s in upstream.seen] == ["small", "big", "small"], "easy -> cheap, hard -> strong"

    after = wait_for(lambda: (m := db_proxy.proxy.metrics()) and routing_savings(m)[0] >= decisions_before + 3 and m,
                     timeout=30, what="our routing metrics")
    ours = routing_savings(after)[1] - ours_before

    rows = wait_for(lambda: len(r := db_proxy.spend_rows(key)) == len(prompts) and r, timeout=30, what="the spend rows")
    recomputed = 0.0
    for row in rows:
        routing = row["metadata"]["spend_logs_metadata"]["routing"]
        strongest = routing["strongest"]
        recomputed += (strongest["input_cost_per_token"] * row["prompt_tokens"]
                       + strongest["output_cost_per_token"] * row["completion_tokens"] - row["spend"])
        decision = row["metadata"]["routing_decision"]
        assert decision["savings_baseline_model"] == strongest["deployment"] == "openai/big"
        assert decision["routed_model"] == routing["deployment"] and decision["escalated"] is False
    per_row = [row["metadata"]["autorouter_savings"] for row in rows]
    assert per_row[1] == 0.0 and per_row[0] > 0, "no savings on the strongest deployment, some on the cheap one"

    sql = (f'SELECT sum(autorouter_savings_spend) AS saved, sum(api_requests) AS requests FROM "LiteLLM_DailyUserSpend" '
           f'WHERE api_key = {sql_text(token_hash(key))}')
    daily = wait_for(lambda: (r := db_proxy.rows(sql)[0])["requests"] == len(prompts) and r, timeout=30,
                     what="the daily table")
    assert ours > 0
    assert daily["saved"] == pytest.approx(ours, rel=1e-9)
    assert sum(per_row) == pytest.approx(ours, rel=1e-9)
    assert recomputed == pytest.approx(ours, rel=1e-9)
