"""Budgets hold under concurrency: every request the plugin serves takes part in LiteLLM's budget reservation.

Four requests are sent at once on a key (or team) whose budget is half of what one request costs. The fake
upstream holds every reply until each of the four has either been refused or reached the provider, so all four
are in flight together; only then are the replies let go. As for a plain model, at most one is served: the rest
are refused with LiteLLM's `budget_exceeded` error before any provider call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import openai
import pytest

from tests.support.client_calls import ask
from tests.support.db_proxy import DbProxy, token_hash
from tests.support.db_scenario import (
    PRICES,
    ROUTED_GROUP,
    TOKENS,
    budget_exceeded_status,
    fleet_proxies,  # noqa: F401 - the tier's proxy joins the session's fleet
    steer,
)
from tests.support.fake_upstream import FakeUpstream
from tests.support.helpers import EASY, billed, wait_for

CONCURRENT = 4


def call_cost(*models: str) -> float:
    """What the fake upstream bills for one call to each of `models` (db_scenario's fixed tokens and prices)."""
    return sum(TOKENS[m][0] * PRICES[m][0] + TOKENS[m][1] * PRICES[m][1] for m in models)


@dataclass(frozen=True)
class Target:
    model: str
    cost: float  # what one request costs (the fake upstream's bill)
    markers: tuple[str, ...]  # upstream models one request calls exactly once before any reply is let go

    def arrived(self, upstream: FakeUpstream) -> int:
        """How many requests reached the provider."""
        return sum(len(upstream.requests_for(m)) for m in self.markers)


TARGETS = {
    # the reference: a plain model, which LiteLLM prices and reserves itself
    "plain": Target("m-b", call_cost("m-b"), ("m-b",)),
    # round 1 and round 2 of three members, then the judge
    "debate": Target("fusion/debate", 2 * call_cost("m-a", "m-b", "m-c") + call_cost("judge"), ("m-a",)),
    # the cheap tier disagrees (steer's default answers differ), so the last tier runs as well
    "cascade": Target("fusion/cascade", call_cost("m-c", "m-a", "judge"), ("m-c",)),
    # routed to the cheap deployment or the strong one: budget half of the cheaper
    "routed": Target(ROUTED_GROUP, call_cost("small"), ("small", "big")),
    "best-of": Target("fusion/best-of", call_cost("m-a", "m-b", "m-c", "judge"), ("m-a",)),
}


@pytest.fixture
def gate(upstream: FakeUpstream) -> Iterator[threading.Event]:
    """Every model of the fake upstream holds its reply until the gate opens (always opened at the end)."""
    opened = threading.Event()
    steer(upstream, **{m.replace("-", "_"): {"hold": opened} for m in TOKENS})
    try:
        yield opened
    finally:
        opened.set()


def concurrently(
    send: Callable[[], str], target: Target, upstream: FakeUpstream, gate: threading.Event
) -> tuple[list, int]:
    """Send CONCURRENT requests at once; let the replies go once each was refused or reached the provider.
    Returns each request's reply text or the error it got, and how many reached the provider."""
    with ThreadPoolExecutor(CONCURRENT) as pool:
        futures: list[Future[str]] = [pool.submit(send) for _ in range(CONCURRENT)]
        wait_for(
            lambda: sum(f.done() for f in futures) + target.arrived(upstream) >= CONCURRENT,
            timeout=60,
            what="every request refused or at the provider",
        )
        arrived = target.arrived(upstream)
        gate.set()
        return [f.exception() or f.result() for f in futures], arrived


def assert_one_served(outcomes: list, *budget_holder: str) -> None:
    """One served, the others refused with LiteLLM's budget error naming the key (its alias, or its hash when
    the reservation refuses it) or the team."""
    served = [o for o in outcomes if isinstance(o, str)]
    refused = [o for o in outcomes if isinstance(o, openai.APIStatusError)]
    assert len(served) == 1, f"{len(served)} of {CONCURRENT} served: {outcomes}"
    assert len(refused) == CONCURRENT - 1, outcomes
    for error in refused:
        assert error.status_code == budget_exceeded_status() and "Budget has been exceeded" in error.message, error
        assert any(name in error.message for name in budget_holder), error


def charged_the_bill(spend: Callable[[], float], upstream: FakeUpstream) -> None:
    """Once LiteLLM flushed it, the spend is the provider's bill for the one served request: the refused requests'
    reservations left nothing behind (their failure rows cost 0)."""
    bill = billed(upstream, PRICES)
    assert bill > 0
    wait_for(lambda: spend() == pytest.approx(bill, rel=1e-9), timeout=30, what=f"spend {bill}")


@pytest.mark.parametrize("name", ["plain", "debate", "cascade", "routed"])
def test_concurrent_requests_on_a_key_budget_of_half_a_request_serve_at_most_one(
    db_proxy: DbProxy, upstream: FakeUpstream, gate: threading.Event, name: str
):
    target = TARGETS[name]
    key = db_proxy.new_key(max_budget=target.cost / 2, key_alias=f"concurrent-{name}")
    outcomes, arrived = concurrently(
        lambda: ask(db_proxy.base_url, key, "chat", target.model, EASY), target, upstream, gate
    )
    assert_one_served(outcomes, f"concurrent-{name}", token_hash(key))
    assert arrived == 1, "a refused request reaches no provider"
    charged_the_bill(lambda: db_proxy.key_spend(key), upstream)


def test_concurrent_requests_on_a_team_budget_of_half_a_request_serve_at_most_one(
    db_proxy: DbProxy, upstream: FakeUpstream, gate: threading.Event
):
    target = TARGETS["debate"]
    team = db_proxy.new_team(team_alias="concurrent-team", max_budget=target.cost / 2)
    key = db_proxy.new_key(team_id=team)  # the key itself has no budget
    outcomes, arrived = concurrently(
        lambda: ask(db_proxy.base_url, key, "chat", target.model, EASY), target, upstream, gate
    )
    assert_one_served(outcomes, team)
    assert arrived == 1
    charged_the_bill(lambda: db_proxy.team_spend(team), upstream)


def test_concurrent_streamed_fusion_requests_on_a_key_budget_of_half_a_request_serve_at_most_one(
    db_proxy: DbProxy, upstream: FakeUpstream, gate: threading.Event
):
    target = TARGETS["best-of"]
    key = db_proxy.new_key(max_budget=target.cost / 2, key_alias="concurrent-stream")
    outcomes, arrived = concurrently(
        lambda: ask(db_proxy.base_url, key, "chat", target.model, EASY, stream=True), target, upstream, gate
    )
    assert_one_served(outcomes, "concurrent-stream", token_hash(key))
    assert arrived == 1
    charged_the_bill(lambda: db_proxy.key_spend(key), upstream)
