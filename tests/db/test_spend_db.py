"""Fusion and routed spend as LiteLLM's database holds it: spend rows, key/team/user spend, daily tables
and the spend endpoints a dashboard reads, through a real proxy with DATABASE_URL (tests/db/conftest.py).

Every request is sent once, up front (`ledger`), each with its own virtual key of one team and one user,
so the tests below read settled tables instead of each waiting for LiteLLM's batched writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support.client_calls import CALL_TYPES, ENDPOINTS, ask
from tests.support.db_proxy import DbProxy, sql_text, token_hash
from tests.support.db_scenario import (
    AGREEING,
    FAILING,
    FUSION,
    PANEL,
    PRICES,
    ROUTED_GROUP,
    TOKENS,
    fleet_proxies,  # noqa: F401 - the tier's proxy joins the session's fleet
    steer,
)
from tests.support.fake_upstream import FakeUpstream
from tests.support.helpers import EASY, billed, wait_for

TAG = "fusion-db-tier"  # sent with every request (x-litellm-tags): LiteLLM's daily tag table counts it
VARIANTS = {"": {}, "failing": FAILING, "agreeing": AGREEING}  # how the fake upstream answers a case
INNER_MODELS = [*PANEL, "judge", "small", "big"]


@dataclass(frozen=True)
class Case:
    endpoint: str
    stream: bool
    model: str
    variant: str = ""

    @property
    def fails(self) -> bool:
        return self.variant == "failing"

    @property
    def name(self) -> str:
        return "-".join(filter(None, [self.model, self.endpoint, "stream" if self.stream else "plain", self.variant]))


FUSION_CASES = [
    Case("chat", False, "fusion/best-of"),
    Case("chat", True, "fusion/merge"),
    Case("messages", False, "fusion/debate"),
    Case("messages", True, "fusion/best-of"),
    Case("responses", False, "fusion/merge"),
    Case("responses", True, "fusion/debate"),
]
ROUTED_CASES = [Case(endpoint, stream, ROUTED_GROUP) for endpoint in ENDPOINTS for stream in (False, True)]
CASCADE_CASES = [
    Case("chat", False, "fusion/cascade", "agreeing"),
    Case("messages", True, "fusion/cascade"),
    Case("responses", True, "fusion/cascade", "agreeing"),
    Case("chat", True, "fusion/cascade"),
]
FAILED_CASES = [
    Case("chat", False, "fusion/all-or-nothing", "failing"),
    Case("chat", True, "fusion/all-or-nothing", "failing"),
]
CASES = FUSION_CASES + ROUTED_CASES + CASCADE_CASES + FAILED_CASES


@dataclass
class Sent:
    case: Case
    key: str
    cost: float  # what the fake upstream billed for the request's calls
    calls: list[str]  # model of every upstream call, in order
    error: Exception | None = None


@dataclass
class Ledger:
    team_id: str
    user_id: str
    sent: dict[str, Sent] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(s.cost for s in self.sent.values())


@pytest.fixture(scope="module")
def ledger(db_proxy: DbProxy, upstream: FakeUpstream) -> Ledger:
    ledger = Ledger(db_proxy.new_team(team_alias="db-tier"), db_proxy.new_user(user_alias="db-tier"))
    for case in CASES:
        key = db_proxy.new_key(team_id=ledger.team_id, user_id=ledger.user_id, key_alias=case.name)
        upstream.reset()
        steer(upstream, **VARIANTS[case.variant])
        error = None
        try:
            ask(
                db_proxy.base_url,
                key,
                case.endpoint,
                case.model,
                EASY,
                stream=case.stream,
                headers={"x-litellm-tags": TAG},
            )
        except Exception as exc:  # noqa: BLE001 - the failing cases are checked in their own test
            error = exc
        if (error is not None) != case.fails:
            raise AssertionError(f"{case.name}: unexpected outcome {error!r}")
        ledger.sent[case.name] = Sent(case, key, billed(upstream, PRICES), [s.model for s in upstream.seen], error)
    return ledger


def one_row(db: DbProxy, key: str) -> dict[str, Any]:
    rows = wait_for(lambda: db.spend_rows(key), timeout=30, what="the spend row")
    assert len(rows) == 1, f"expected one spend row, got {[(r['model_group'], r['spend']) for r in rows]}"
    return rows[0]


def call_cost(model: str) -> float:
    (pt, ct), (price_in, price_out) = TOKENS[model], PRICES[model]
    return pt * price_in + ct * price_out


@pytest.mark.parametrize("name", [c.name for c in FUSION_CASES])
def test_a_fusion_request_is_one_spend_row_with_the_summed_cost_and_its_breakdown(db_proxy, ledger, name):
    sent = ledger.sent[name]
    row = one_row(db_proxy, sent.key)
    rounds = FUSION[sent.case.model].get("rounds", 1)
    assert sent.calls.count("judge") == 1 and len(sent.calls) == 3 * rounds + 1
    assert row["spend"] == pytest.approx(sent.cost, rel=1e-9)
    assert (row["model_group"], row["call_type"], row["status"]) == (
        sent.case.model,
        CALL_TYPES[sent.case.endpoint],
        "success",
    )
    assert (row["team_id"], row["user"]) == (ledger.team_id, ledger.user_id)
    assert row["prompt_tokens"] == sum(TOKENS[m][0] for m in sent.calls)
    assert row["completion_tokens"] == sum(TOKENS[m][1] for m in sent.calls)
    fusion = row["metadata"]["spend_logs_metadata"]["fusion"]
    assert fusion["mode"] == sent.case.model.split("/")[1] and fusion["rounds"] == rounds
    assert [(m["model"], m["round"]) for m in fusion["members"]] == [
        (m, r) for r in range(1, rounds + 1) for m in PANEL
    ]
    for member in fusion["members"]:
        assert member["ok"] and member["cost"] == pytest.approx(call_cost(member["model"]), rel=1e-9)
    assert fusion["judge"]["cost"] == pytest.approx(call_cost("judge"), rel=1e-9)
    assert sum(m["cost"] for m in fusion["members"]) + fusion["judge"]["cost"] == pytest.approx(row["spend"], rel=1e-9)
    # the same breakdown as one line per call, for LiteLLM's UI (it shows metadata as raw JSON)
    assert len(fusion["calls"]) == len(sent.calls)
    judge_lines = [line for line in fusion["calls"] if line.startswith("judge ")]
    assert len(judge_lines) == 1 and judge_lines[0].startswith(
        f"judge judge: ${call_cost('judge'):.6f}, 101+23 tokens, "
    )


@pytest.mark.parametrize("name", [c.name for c in ROUTED_CASES])
def test_a_routed_request_is_one_spend_row_with_its_cost_and_decision(db_proxy, ledger, name):
    sent = ledger.sent[name]
    row = one_row(db_proxy, sent.key)
    assert len(sent.calls) == 1
    assert row["spend"] == pytest.approx(sent.cost, rel=1e-9) and sent.cost == pytest.approx(call_cost(sent.calls[0]))
    assert (row["model_group"], row["call_type"]) == (ROUTED_GROUP, CALL_TYPES[sent.case.endpoint])
    routing = row["metadata"]["spend_logs_metadata"]["routing"]
    assert routing["group"] == ROUTED_GROUP and routing["deployment"] == f"openai/{sent.calls[0]}"
    decision = row["metadata"]["routing_decision"]  # LiteLLM's own record (its UI's Routing card)
    assert decision["router_model_name"] == ROUTED_GROUP and decision["routed_model"] == routing["deployment"]
    assert decision["savings_baseline_model"] == "openai/big"


@pytest.mark.parametrize("name", [c.name for c in CASCADE_CASES])
def test_a_cascade_request_is_one_spend_row_with_the_cost_of_every_tier_that_ran(db_proxy, ledger, name):
    sent = ledger.sent[name]
    row = one_row(db_proxy, sent.key)
    escalated = sent.case.variant != "agreeing"
    assert sorted(sent.calls[:2]) == ["m-a", "m-c"] and sent.calls[2:] == (["judge"] if escalated else [])
    assert row["spend"] == pytest.approx(sent.cost, rel=1e-9)
    assert sent.cost == pytest.approx(sum(call_cost(m) for m in sent.calls), rel=1e-9)
    assert (row["model_group"], row["call_type"], row["status"]) == (
        "fusion/cascade",
        CALL_TYPES[sent.case.endpoint],
        "success",
    )
    entry = row["metadata"]["spend_logs_metadata"]["fusion"]
    assert entry["tier_reached"] == (2 if escalated else 1)
    assert sorted((m["model"], m["tier"]) for m in entry["members"]) == sorted(
        [("m-a", 1), ("m-c", 1)] + ([("judge", 2)] if escalated else [])
    )
    assert sum(m["cost"] for m in entry["members"]) == pytest.approx(row["spend"], rel=1e-9)
    # LiteLLM's own routing record and savings figure carry the cascade's (baseline: the last tier)
    decision = row["metadata"]["routing_decision"]
    assert (decision["router_model_name"], decision["tier"]) == ("fusion/cascade", str(entry["tier_reached"]))
    assert decision.get("escalated", False) == escalated
    assert decision["savings_baseline_model"] == "openai/judge"
    assert row["metadata"]["autorouter_savings"] == pytest.approx(entry["savings"], rel=1e-9)
    assert (entry["savings"] < 0) == escalated, "escalating costs more than the last tier alone; stopping early saves"


def test_inner_calls_write_no_spend_rows(db_proxy, ledger):
    keys = ", ".join(sql_text(token_hash(s.key)) for s in ledger.sent.values())
    wait_for(
        lambda: db_proxy.value(f'SELECT count(*) FROM "LiteLLM_SpendLogs" WHERE api_key IN ({keys})') == len(CASES),
        timeout=30,
        what="one row per request",
    )
    inner = ", ".join(sql_text(m) for m in INNER_MODELS)
    # live audits' calls (tests/db/test_audit_db.py) are spend rows of their own by design, tagged fusion-audit
    audit = "COALESCE(request_tags::jsonb ? 'fusion-audit', false)"
    assert (
        db_proxy.rows(
            f'SELECT request_id, model_group FROM "LiteLLM_SpendLogs" WHERE (model_group IN ({inner}) '
            f"OR api_key IS NULL OR api_key = '') AND NOT {audit}"
        )
        == []
    )


@pytest.mark.parametrize("name", [c.name for c in FAILED_CASES])
def test_a_failed_fusion_request_is_a_failure_row_charging_the_members_that_answered(db_proxy, ledger, name):
    sent = ledger.sent[name]
    assert getattr(sent.error, "status_code", None) == 502 or "502" in str(sent.error)
    assert sorted(m for m in sent.calls) == ["m-a", "m-b", "m-c"], "the panel ran, the judge did not"
    answered = call_cost("m-a") + call_cost("m-c")
    assert sent.cost == pytest.approx(answered, rel=1e-9)
    row = one_row(db_proxy, sent.key)
    assert (row["status"], row["model_group"]) == ("failure", sent.case.model)
    assert row["spend"] == pytest.approx(answered, rel=1e-9)
    fusion = row["metadata"]["spend_logs_metadata"]["fusion"]
    assert fusion["outcome"] == "failed" and fusion["dropped"][0]["model"] == "m-b"
    assert fusion["cost"] == pytest.approx(answered, rel=1e-9)


def test_key_team_and_user_spend_each_grow_by_the_summed_cost_once(db_proxy, ledger):
    for sent in ledger.sent.values():
        spend = wait_for(
            lambda s=sent: db_proxy.key_spend(s.key) or None, timeout=30, what=f"{sent.case.name}'s key spend"
        )
        assert spend == pytest.approx(sent.cost, rel=1e-9), sent.case.name
    team = wait_for(
        lambda: (
            db_proxy.team_spend(ledger.team_id) >= ledger.total * (1 - 1e-9) and db_proxy.team_spend(ledger.team_id)
        ),
        timeout=30,
        what="the team's spend",
    )
    user = wait_for(
        lambda: (
            db_proxy.user_spend(ledger.user_id) >= ledger.total * (1 - 1e-9) and db_proxy.user_spend(ledger.user_id)
        ),
        timeout=30,
        what="the user's spend",
    )
    assert team == pytest.approx(ledger.total, rel=1e-9)
    assert user == pytest.approx(ledger.total, rel=1e-9)


def _expected_by_group(ledger: Ledger) -> dict[str, tuple[float, int]]:
    out: dict[str, tuple[float, int]] = {}
    for sent in ledger.sent.values():
        spend, requests = out.get(sent.case.model, (0.0, 0))
        out[sent.case.model] = (spend + sent.cost, requests + 1)
    return out


@pytest.mark.parametrize("table,owner", [("LiteLLM_DailyUserSpend", "user_id"), ("LiteLLM_DailyTeamSpend", "team_id")])
def test_daily_tables_count_each_fusion_dollar_once_under_the_fusion_model(db_proxy, ledger, table, owner):
    who = sql_text(ledger.user_id if owner == "user_id" else ledger.team_id)
    sql = (
        f"SELECT model_group, sum(spend) AS spend, sum(api_requests) AS requests, sum(failed_requests) AS failed "
        f'FROM "{table}" WHERE {owner} = {who} GROUP BY model_group'
    )
    rows = wait_for(
        lambda: (r := db_proxy.rows(sql)) and sum(x["spend"] for x in r) >= ledger.total * (1 - 1e-9) and r,
        timeout=30,
        what=f"{table} to hold every request",
    )
    got = {r["model_group"]: (r["spend"], r["requests"]) for r in rows}
    expected = _expected_by_group(ledger)
    assert got.keys() == expected.keys(), "fusion spend is under the fusion model, never under a panel model"
    for group, (spend, requests) in expected.items():
        assert got[group][0] == pytest.approx(spend, rel=1e-9) and got[group][1] == requests, group
    assert sum(r["failed"] for r in rows) == len(FAILED_CASES)


def test_daily_tag_table_counts_each_fusion_dollar_once(db_proxy, ledger):
    sql = f'SELECT sum(spend) AS spend, sum(api_requests) AS requests FROM "LiteLLM_DailyTagSpend" WHERE tag = {sql_text(TAG)}'
    row = wait_for(
        lambda: (r := db_proxy.rows(sql)[0])["spend"] and r["spend"] >= ledger.total * (1 - 1e-9) and r,
        timeout=30,
        what="the tag's daily spend",
    )
    assert row["spend"] == pytest.approx(ledger.total, rel=1e-9) and row["requests"] == len(CASES)


def test_the_spend_endpoints_a_dashboard_reads_return_fusion_spend(db_proxy, ledger):
    sent = ledger.sent["fusion/debate-messages-plain"]
    logs = db_proxy.admin("/spend/logs", method="GET", api_key=token_hash(sent.key))
    assert [(r["model_group"], pytest.approx(r["spend"], rel=1e-9)) for r in logs] == [("fusion/debate", sent.cost)]
    info = db_proxy.admin("/key/info", method="GET", key=sent.key)["info"]
    assert info["spend"] == pytest.approx(sent.cost, rel=1e-9)
    team = db_proxy.admin("/team/info", method="GET", team_id=ledger.team_id)["team_info"]
    assert team["spend"] == pytest.approx(ledger.total, rel=1e-9)
    user = db_proxy.admin("/user/info", method="GET", user_id=ledger.user_id)["user_info"]
    assert user["spend"] == pytest.approx(ledger.total, rel=1e-9)

    keys = {r["api_key"]: r["total_spend"] for r in db_proxy.admin("/global/spend/keys", method="GET", limit=100)}
    assert keys[token_hash(sent.key)] == pytest.approx(sent.cost, rel=1e-9)
    models = {r["model"]: r["total_spend"] for r in db_proxy.admin("/global/spend/models", method="GET", limit=100)}
    assert models["fusion/debate"] >= sent.cost * (1 - 1e-9) and not set(models) & {*PANEL, "judge"}
    assert db_proxy.admin("/global/spend", method="GET")["spend"] >= ledger.total * (1 - 1e-9)
