"""LiteLLM's key and team budgets hold for fusion requests: the summed cost is what they are charged, so a
request that goes over the budget is served and the next one is refused with LiteLLM's budget error. Its rate
limits count a fusion request once, at its summed tokens, under the model name the caller asked for (concurrent
requests: test_concurrent_budgets_db.py)."""

from __future__ import annotations

import openai
import pytest

from tests.support.client_calls import ask
from tests.support.db_proxy import DbProxy
from tests.support.db_scenario import (
    TOKENS,
    fleet_proxies,  # noqa: F401 - the tier's proxy joins the session's fleet
    steer,
)
from tests.support.fake_upstream import FakeUpstream
from tests.support.helpers import EASY, wait_for

BUDGET = 0.001  # one fusion/best-of request here costs ~$0.0018


def spend_settled(db: DbProxy, key: str) -> float:
    """Once LiteLLM wrote the request's spend row, its cost callback has charged the key's cached spend."""
    rows = wait_for(lambda: db.spend_rows(key), timeout=30, what="the spend row")
    return float(rows[0]["spend"])


def refused(db: DbProxy, key: str) -> openai.APIStatusError:
    with pytest.raises(openai.APIStatusError) as caught:
        ask(db.base_url, key, "chat", "fusion/best-of", EASY)
    return caught.value


def test_a_key_over_its_budget_is_refused_on_its_next_request(db_proxy: DbProxy, upstream: FakeUpstream):
    steer(upstream)
    key = db_proxy.new_key(max_budget=BUDGET, key_alias="budgeted-key")
    ask(db_proxy.base_url, key, "chat", "fusion/best-of", EASY)  # under budget when it starts: served
    spent = spend_settled(db_proxy, key)
    assert spent > BUDGET and len(upstream.seen) == 4  # 3 members and the judge

    upstream.reset()
    steer(upstream)
    error = refused(db_proxy, key)
    assert "Budget has been exceeded" in error.message and "budgeted-key" in error.message
    assert f"Max budget: {BUDGET}" in error.message
    assert upstream.seen == [], "a refused request reaches no provider"


def test_a_team_over_its_budget_is_refused_on_its_next_request(db_proxy: DbProxy, upstream: FakeUpstream):
    steer(upstream)
    team = db_proxy.new_team(team_alias="budgeted-team", max_budget=BUDGET)
    key = db_proxy.new_key(team_id=team)  # the key itself has no budget
    ask(db_proxy.base_url, key, "chat", "fusion/best-of", EASY)
    spend_settled(db_proxy, key)

    upstream.reset()
    steer(upstream)
    error = refused(db_proxy, key)
    assert "Budget has been exceeded" in error.message and team in error.message
    assert upstream.seen == []


# ---- rate limits: a fusion request is one request, at its summed tokens, under the model name it asked for ----
SUMMED_TOKENS = sum(pt + ct for m, (pt, ct) in TOKENS.items() if m in ("m-a", "m-b", "m-c", "judge"))  # best-of


def rate_limited(db: DbProxy, key: str, model: str = "fusion/best-of") -> openai.APIStatusError:
    with pytest.raises(openai.APIStatusError) as caught:
        ask(db.base_url, key, "chat", model, EASY)
    assert caught.value.status_code == 429, caught.value
    return caught.value


def test_a_fusion_request_counts_once_against_the_key_rpm_limit(db_proxy: DbProxy, upstream: FakeUpstream):
    steer(upstream)
    key = db_proxy.new_key(rpm_limit=2)
    for _ in range(2):  # 4 provider calls each: only the request the key sent counts
        ask(db_proxy.base_url, key, "chat", "fusion/best-of", EASY)
    upstream.reset()
    rate_limited(db_proxy, key)
    assert upstream.seen == []


def test_a_fusion_request_counts_its_summed_tokens_against_the_key_tpm_limit(db_proxy: DbProxy, upstream: FakeUpstream):
    steer(upstream)
    largest_call = max(pt + ct for pt, ct in TOKENS.values())
    key = db_proxy.new_key(tpm_limit=(largest_call + SUMMED_TOKENS) // 2)  # over any one call, under the sum
    ask(db_proxy.base_url, key, "chat", "fusion/best-of", EASY)
    upstream.reset()
    rate_limited(db_proxy, key)
    assert upstream.seen == []


def test_a_model_rpm_limit_counts_the_model_asked_for_not_the_fusion_members(db_proxy: DbProxy, upstream: FakeUpstream):
    steer(upstream)
    key = db_proxy.new_key(model_rpm_limit={"fusion/best-of": 2, "m-a": 1})
    for _ in range(2):  # each calls m-a as a panel member: that is not a request for m-a
        ask(db_proxy.base_url, key, "chat", "fusion/best-of", EASY)
    rate_limited(db_proxy, key)
    ask(db_proxy.base_url, key, "chat", "m-a", EASY)  # the key's first request for m-a itself
    rate_limited(db_proxy, key, "m-a")
