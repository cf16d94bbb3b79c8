"""LiteLLM's own admin UI, looked at in headless Chromium: a proxy with the database serves fusion, cascade
and routed requests made with a virtual key; the request logs, one fusion request's detail, the key's spend
and its Savings tab (and Cost Optimization) show what the database holds.

Screenshots go to $FUSION_UI_SCREENSHOTS (the images of docs/ui.md: `FUSION_UI_SCREENSHOTS=docs bash
scripts/test.sh tests/browser`), else to the test's temporary directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.client_calls import ask
from tests.support.db_proxy import DbProxy, declare_db_proxy, sql_text, token_hash
from tests.support.fake_upstream import FakeUpstream
from tests.support.helpers import EASY, HARD, billed, wait_for
from tests.support.litellm_ui import browser_page, login, scroll_box_to
from tests.support.postgres_harness import REPO
from tests.support.proxy_fleet import Fleet
from tests.support.ui_scenario import PRICES, ROUTED_GROUP, steer, ui_config

REQUESTS = [  # (model, prompt, the cascade's cheap tier agrees, stream)
    ("fusion/debate", "Which option is right, A, B or C? Explain briefly.", False, False),
    ("fusion/best-of", "Which option is right, A, B or C?", False, True),
    ("fusion/cascade", "A, B or C?", True, False),
    ("fusion/cascade", "A, B or C? Think it through.", False, False),
    (ROUTED_GROUP, EASY, False, False),
    (ROUTED_GROUP, HARD, False, False),
]


@dataclass
class Served:
    proxy: DbProxy
    key: str
    rows: list[dict[str, Any]]  # the key's spend rows, in request order
    costs: list[float]  # what the fake upstream billed per request

    def row(self, model: str) -> dict[str, Any]:
        return next(r for r in self.rows if r["model_group"] == model)


def fleet_proxies(fleet: Fleet) -> None:
    declare_db_proxy(fleet, "ui_tier", ui_config(fleet.upstream.base_url))


@pytest.fixture(scope="module")
def served(fleet: Fleet, upstream: FakeUpstream) -> Iterator[Served]:
    proxy: DbProxy
    with fleet.lease("ui_tier") as proxy:
        key = proxy.new_key(team_id=proxy.new_team(team_alias="research"), key_alias="research-app")
        costs = []
        for model, text, agree, stream in REQUESTS:
            upstream.reset()
            steer(upstream, agree)
            ask(proxy.base_url, key, "chat", model, text, stream=stream)
            costs.append(billed(upstream, PRICES))
        rows = wait_for(
            lambda: len(r := proxy.spend_rows(key)) == len(REQUESTS) and r, timeout=30, what="the spend rows"
        )
        # the key page and the Savings tab read the batched tables: wait until LiteLLM wrote them
        wait_for(lambda: proxy.key_spend(key) >= sum(costs) * (1 - 1e-9), timeout=30, what="the key's spend")
        daily = f'SELECT sum(api_requests) FROM "LiteLLM_DailyUserSpend" WHERE api_key = {sql_text(token_hash(key))}'
        wait_for(lambda: proxy.value(daily) == len(REQUESTS), timeout=30, what="the daily table")
        yield Served(proxy, key, rows, costs)


@pytest.fixture(scope="module")
def page(served: Served) -> Iterator[Any]:
    with browser_page() as page:
        login(page, served.proxy.base_url, served.proxy.master_key)
        yield page


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = os.environ.get("FUSION_UI_SCREENSHOTS")
    path = (
        (REPO / target if not os.path.isabs(target) else Path(target)) if target else tmp_path_factory.mktemp("shots")
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_the_logs_page_lists_each_fusion_request_once_with_its_summed_spend(served, page, shots):
    assert [r["spend"] for r in served.rows] == pytest.approx(served.costs, rel=1e-9)
    page.goto(f"{served.proxy.base_url}/ui/logs/")
    for row in served.rows:
        # the Cost column: the summed cost of every call the request made
        expect(page.locator("tr", has_text=row["request_id"])).to_contain_text(f"${row['spend']:.6f}")
    expect(page.locator("tr", has_text="fusion/")).to_have_count(4)  # one row per fusion request, none per call
    page.screenshot(path=shots / "ui-logs.png")


def open_request(page: Any, served: Served, row: dict[str, Any]) -> Any:
    """The request's side panel (LiteLLM's request detail view)."""
    page.goto(f"{served.proxy.base_url}/ui/logs/?log_id={row['request_id']}")
    panel = page.get_by_role("dialog")
    expect(panel).to_contain_text("Request Details")
    return panel


def test_a_fusion_requests_detail_shows_its_summed_cost_and_every_call(served, page, shots):
    row = served.row("fusion/debate")
    panel = open_request(page, served, row)
    expect(panel).to_contain_text("fusion/debate")
    expect(panel).to_contain_text(f"${row['spend']:.8f}")  # the Metrics card's cost
    page.screenshot(path=shots / "ui-fusion-request.png")

    lines = row["metadata"]["spend_logs_metadata"]["fusion"]["calls"]
    assert len(lines) == 7  # 3 members x 2 rounds + the judge
    scroll_box_to(page, "spend_logs_metadata", '"spend_logs_metadata"')
    metadata = page.locator("pre", has_text="spend_logs_metadata").first
    for line in lines:
        expect(metadata).to_contain_text(line)
    page.screenshot(path=shots / "ui-fusion-breakdown.png")


def test_routed_and_cascade_requests_show_litellms_routing_card(served, page, shots):
    row = next(r for r in served.rows if r["model_group"] == ROUTED_GROUP and "gpt-4o-mini" in r["model"])
    panel = open_request(page, served, row)
    for text in (
        "Routing",
        "Custom classifier plugin",
        "Routed to",
        "openai/gpt-4o-mini",
        "6% of the strongest's price",
    ):
        expect(panel).to_contain_text(text)
    page.get_by_text("Decided by").first.scroll_into_view_if_needed()
    page.screenshot(path=shots / "ui-routing.png")

    escalated = [r for r in served.rows if r["model_group"] == "fusion/cascade"][1]
    panel = open_request(page, served, escalated)
    for text in ("tier 2 of 2", "Escalated", "accepted by last tier", "tier 1 escalated: disagreement"):
        expect(panel).to_contain_text(text)


def test_the_key_page_shows_its_spend_and_the_savings_tab_its_savings(served, page, shots):
    page.goto(f"{served.proxy.base_url}/ui/api-keys/?key={token_hash(served.key)}")
    expect(page.locator("body")).to_contain_text(f"Lifetime spend: ${sum(served.costs):.4f}")

    saved = sum(r["metadata"]["autorouter_savings"] or 0.0 for r in served.rows)  # routing and cascades
    assert saved > 0
    page.get_by_role("tab", name="Savings").click()
    card = (
        page.locator("div", has=page.get_by_text("Auto-router savings", exact=True))
        .filter(has_text="Recorded estimates")
        .last
    )
    expect(card).to_contain_text(f"${saved:.4f}")
    page.set_viewport_size({"width": 1440, "height": 1250})  # the cards and the savings chart
    page.screenshot(path=shots / "ui-savings.png")
    page.set_viewport_size({"width": 1440, "height": 900})

    page.goto(f"{served.proxy.base_url}/ui/cost-optimization/")  # the proxy-wide view: only this key spent
    card = (
        page.locator("div", has=page.get_by_text("Auto-router savings", exact=True))
        .filter(has_text="Recorded estimates")
        .last
    )
    expect(card).to_contain_text(f"${saved:.4f}")
