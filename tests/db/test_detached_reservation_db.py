"""The reservation API a detached sub-call (an audit, run after the reply) uses: `reserve_for` holds an estimate
against the caller's budgets exactly as a request's reservation does, a call carrying `call_metadata(hold)` is
billed to the caller's key and settles the hold to its real cost, `release` gives a hold back, and a key with no
budget left is refused before any provider call. Driven inside the real proxy by
tests/support/plugins/budget_probe.py."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.client_calls import ask
from tests.support.db_proxy import DbProxy
from tests.support.db_scenario import (
    PRICES,
    TOKENS,
    fleet_proxies,  # noqa: F401 - the tier's proxy joins the session's fleet
    steer,
)
from tests.support.fake_upstream import FakeUpstream
from tests.support.helpers import EASY, billed, wait_for

M_B = TOKENS["m-b"][0] * PRICES["m-b"][0] + TOKENS["m-b"][1] * PRICES["m-b"][1]  # one call to m-b


def probe(db: DbProxy, action: str, **body: Any) -> dict[str, Any]:
    r = httpx.post(f"{db.base_url}/test/budget/{action}", json=body, timeout=30)
    r.raise_for_status()
    return r.json()


def test_holds_count_against_the_budget_until_given_back(db_proxy: DbProxy, upstream: FakeUpstream):
    key = db_proxy.new_key(max_budget=1.0)
    first = probe(db_proxy, "reserve", key=key, estimate=0.6)
    assert first["reserved"] == pytest.approx(0.6)
    second = probe(db_proxy, "reserve", key=key, estimate=0.6)
    assert second["reserved"] == pytest.approx(0.4), "LiteLLM's policy: what is left of the budget is held"
    refused = probe(db_proxy, "reserve", key=key, estimate=0.6)
    assert "Budget has been exceeded" in refused["refused"]
    probe(db_proxy, "release", id=first["id"])
    again = probe(db_proxy, "reserve", key=key, estimate=0.6)
    assert again["reserved"] == pytest.approx(0.6), "the released hold's room is back"
    for hold in (second, again):
        probe(db_proxy, "release", id=hold["id"])
    steer(upstream)
    ask(db_proxy.base_url, key, "chat", "m-b", EASY)  # nothing is held any more
    wait_for(lambda: db_proxy.key_spend(key) == pytest.approx(M_B, rel=1e-9), timeout=30, what="key spend")


def test_a_detached_call_is_billed_to_the_key_and_settles_its_hold(db_proxy: DbProxy, upstream: FakeUpstream):
    steer(upstream)
    key = db_proxy.new_key(max_budget=4 * M_B)
    first = probe(db_proxy, "call", key=key, estimate=1.0, model="m-b")
    assert first == {"reserved": pytest.approx(4 * M_B), "error": None}  # the whole budget, for an estimate over it
    second = probe(db_proxy, "call", key=key, estimate=1.0, model="m-b")
    assert second["reserved"] == pytest.approx(3 * M_B), "the first hold settled to the first call's real cost"
    assert billed(upstream, PRICES) == pytest.approx(2 * M_B)
    wait_for(lambda: db_proxy.key_spend(key) == pytest.approx(2 * M_B, rel=1e-9), timeout=30, what="key spend")


def test_a_detached_call_that_fails_gives_its_hold_back(db_proxy: DbProxy, upstream: FakeUpstream):
    steer(upstream, m_b={"status": 500})
    key = db_proxy.new_key(max_budget=4 * M_B)
    failed = probe(db_proxy, "call", key=key, estimate=1.0, model="m-b")
    assert failed["reserved"] == pytest.approx(4 * M_B) and failed["error"]
    steer(upstream)
    assert probe(db_proxy, "call", key=key, estimate=1.0, model="m-b")["reserved"] == pytest.approx(4 * M_B)


def test_a_detached_call_is_refused_once_the_key_has_no_budget_left(db_proxy: DbProxy, upstream: FakeUpstream):
    steer(upstream)
    key = db_proxy.new_key(max_budget=M_B / 2)
    ask(db_proxy.base_url, key, "chat", "m-b", EASY)  # under budget when it starts: served, and over it now
    wait_for(lambda: db_proxy.spend_rows(key), timeout=30, what="the spend row")
    upstream.reset()
    refused = probe(db_proxy, "call", key=key, estimate=1e-6, model="m-b")
    assert "Budget has been exceeded" in refused["refused"]
    assert upstream.seen == [], "a refused sub-call reaches no provider"
