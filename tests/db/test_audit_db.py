"""Live audits in LiteLLM's database (real Postgres, real proxy): an audit is one spend row of its own, tagged
fusion-audit, on the caller's key and team (or the configured billing key), counted in their spend; the request's
own row and its cost header leave it out."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.client_calls import ask
from tests.support.db_proxy import DbProxy, token_hash
from tests.support.db_scenario import (
    AGREEING,
    AUDIT_BILLING_KEY,
    PRICES,
    TOKENS,
    fleet_proxies,  # noqa: F401 - the tier's proxy joins the session's fleet
    steer,
)
from tests.support.fake_upstream import FakeUpstream
from tests.support.helpers import EASY, wait_for


def call_cost(model: str) -> float:
    (pt, ct), (price_in, price_out) = TOKENS[model], PRICES[model]
    return pt * price_in + ct * price_out


TIER_1 = call_cost("m-c") + call_cost("m-a")
AUDIT = call_cost("judge")  # the last tier, asked again by the audit


def tags(row: dict[str, Any]) -> list[str]:
    return list(row.get("request_tags") or [])


def settled(db: DbProxy, key: str, rows: int) -> list[dict[str, Any]]:
    return wait_for(lambda: len(db.spend_rows(key)) >= rows and db.spend_rows(key), timeout=30, what="spend rows")


def test_an_audit_is_one_tagged_spend_row_on_the_callers_key_and_team(db_proxy: DbProxy, upstream: FakeUpstream):
    steer(upstream, **AGREEING)
    team = db_proxy.new_team(team_alias="audited-team")
    key = db_proxy.new_key(team_id=team, key_alias="audited-key")
    ask(db_proxy.base_url, key, "chat", "fusion/cascade-audited", EASY)
    rows = settled(db_proxy, key, 2)
    assert len(rows) == 2, [(r["model_group"], r["spend"]) for r in rows]
    (parent,) = [r for r in rows if r["model_group"] == "fusion/cascade-audited"]
    (audit,) = [r for r in rows if "fusion-audit" in tags(r)]
    # the request's row: the cheap tier only (the reply's cost); the audit: its own row, its own cost
    assert parent["spend"] == pytest.approx(TIER_1, rel=1e-9) and "fusion-audit" not in tags(parent)
    assert audit["spend"] == pytest.approx(AUDIT, rel=1e-9) and audit["model_group"] == "judge"
    assert (audit["api_key"], audit["team_id"]) == (token_hash(key), team)
    assert audit["metadata"]["internal_call_origin"] == "shadow_eval_router"
    # LiteLLM's key and team spend count both, once
    wait_for(lambda: db_proxy.key_spend(key) == pytest.approx(TIER_1 + AUDIT, rel=1e-9), timeout=30, what="key spend")
    wait_for(
        lambda: db_proxy.team_spend(team) == pytest.approx(TIER_1 + AUDIT, rel=1e-9), timeout=30, what="team spend"
    )


def test_audit_billing_key_bills_the_audit_to_that_key(db_proxy: DbProxy, upstream: FakeUpstream):
    steer(upstream, **AGREEING)
    db_proxy.admin("/key/generate", {"key": AUDIT_BILLING_KEY, "key_alias": "audit-billing"})
    caller = db_proxy.new_key(key_alias="caller-of-billed-audits")
    ask(db_proxy.base_url, caller, "chat", "fusion/cascade-audit-billed", EASY)
    try:
        (billed,) = settled(db_proxy, AUDIT_BILLING_KEY, 1)
    except AssertionError:
        pytest.fail(f"no row on the billing key; the caller's rows: {db_proxy.spend_rows(caller)}")
    assert "fusion-audit" in tags(billed) and billed["spend"] == pytest.approx(AUDIT, rel=1e-9)
    (own,) = settled(db_proxy, caller, 1)
    assert own["spend"] == pytest.approx(TIER_1, rel=1e-9)
    wait_for(lambda: db_proxy.key_spend(AUDIT_BILLING_KEY) == pytest.approx(AUDIT, rel=1e-9), timeout=30, what="spend")
    wait_for(lambda: db_proxy.key_spend(caller) == pytest.approx(TIER_1, rel=1e-9), timeout=30, what="caller spend")
