"""A fusion request's budget reservation never leaks: it settles to the real cost when the request is served, and
is given back when the request fails, times out, or its client hangs up (streamed or not). Each test spends on its
own key and checks what the key can still do afterwards and that its spend equals the provider's bill exactly.

The reservation of a fusion request here (its worst case: 1,024 output tokens per call without max_tokens) is
larger than any of these budgets, so LiteLLM holds the whole remaining budget for it: one reservation left behind
would refuse the key's next request."""

from __future__ import annotations

import asyncio
import threading

import httpx
import openai
import pytest

from tests.support.client_calls import ENDPOINTS, ask
from tests.support.db_proxy import DbProxy
from tests.support.db_scenario import (
    FAILING,
    PRICES,
    ROUTED_GROUP,
    TOKENS,
    budget_exceeded_status,
    fleet_proxies,  # noqa: F401 - the tier's proxy joins the session's fleet
    steer,
)
from tests.support.fake_upstream import FakeUpstream
from tests.support.helpers import EASY, billed, wait_for

BEST_OF = sum(TOKENS[m][0] * PRICES[m][0] + TOKENS[m][1] * PRICES[m][1] for m in ("m-a", "m-b", "m-c", "judge"))


def refused(db: DbProxy, key: str) -> openai.APIStatusError:
    with pytest.raises(openai.APIStatusError) as caught:
        ask(db.base_url, key, "chat", "fusion/best-of", EASY)
    assert caught.value.status_code == budget_exceeded_status() and "Budget has been exceeded" in caught.value.message
    return caught.value


def spend_is_the_bill(db: DbProxy, key: str, bill: float) -> None:
    """The key's spend, once LiteLLM flushed it, is what the provider billed: nothing lost, nothing phantom."""
    assert bill > 0
    wait_for(lambda: db.key_spend(key) == pytest.approx(bill, rel=1e-9), timeout=30, what=f"key spend {bill}")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_served_requests_settle_their_reservation_to_their_real_cost(
    db_proxy: DbProxy, upstream: FakeUpstream, endpoint: str
):
    steer(upstream)
    key = db_proxy.new_key(max_budget=2.5 * BEST_OF)
    for _ in range(3):  # each holds what is left, and settles to its cost: the next one starts under the budget
        ask(db_proxy.base_url, key, endpoint, "fusion/best-of", EASY)
    refused(db_proxy, key)  # 3 requests' real cost is over the budget
    assert billed(upstream, PRICES) == pytest.approx(3 * BEST_OF)
    spend_is_the_bill(db_proxy, key, billed(upstream, PRICES))


def test_routed_requests_settle_the_reservation_that_replaced_litellms_own(db_proxy: DbProxy, upstream: FakeUpstream):
    """LiteLLM reserves a routed group's price itself at auth; the plugin gives that back and holds its own
    estimate instead. Were either left behind, the key's second request would be refused."""
    steer(upstream)
    small = TOKENS["small"][0] * PRICES["small"][0] + TOKENS["small"][1] * PRICES["small"][1]
    key = db_proxy.new_key(max_budget=2.5 * small)
    for _ in range(3):  # an easy prompt goes to the cheap deployment
        ask(db_proxy.base_url, key, "chat", ROUTED_GROUP, EASY)
    with pytest.raises(openai.APIStatusError) as caught:
        ask(db_proxy.base_url, key, "chat", ROUTED_GROUP, EASY)
    assert "Budget has been exceeded" in caught.value.message
    assert [s.model for s in upstream.seen] == ["small"] * 3
    spend_is_the_bill(db_proxy, key, billed(upstream, PRICES))


def test_a_request_whose_panel_fails_releases_its_reservation(db_proxy: DbProxy, upstream: FakeUpstream):
    steer(upstream, **FAILING)
    key = db_proxy.new_key(max_budget=BEST_OF / 2)
    with pytest.raises(openai.APIStatusError) as failed:
        ask(db_proxy.base_url, key, "chat", "fusion/all-or-nothing", EASY)
    assert failed.value.status_code == 502
    steer(upstream)
    ask(db_proxy.base_url, key, "chat", "fusion/best-of", EASY)  # the failed request holds nothing any more
    spend_is_the_bill(db_proxy, key, billed(upstream, PRICES))  # m-a and m-c of the failed one, and the served one


def test_a_request_that_times_out_releases_its_reservation(db_proxy: DbProxy, upstream: FakeUpstream):
    steer(upstream, m_b={"hang": True})
    key = db_proxy.new_key(max_budget=BEST_OF / 2)
    with pytest.raises(openai.APIStatusError) as failed:
        ask(db_proxy.base_url, key, "chat", "fusion/hasty", EASY)  # m-b hangs past the 1 s deadline
    assert failed.value.status_code == 502 and "m-b" in failed.value.message
    steer(upstream)
    ask(db_proxy.base_url, key, "chat", "fusion/best-of", EASY)
    spend_is_the_bill(db_proxy, key, billed(upstream, PRICES))


def test_a_client_that_hangs_up_releases_the_reservation(db_proxy: DbProxy, upstream: FakeUpstream):
    steer(upstream, m_b={"hang": True})
    key = db_proxy.new_key(max_budget=BEST_OF / 2)
    with pytest.raises(openai.APITimeoutError):  # the client gives up: LiteLLM cancels the request
        ask(db_proxy.base_url, key, "chat", "fusion/best-of", EASY, timeout=2)
    wait_for(lambda: db_proxy.spend_rows(key), timeout=30, what="the abandoned request's failure row")
    steer(upstream)
    ask(db_proxy.base_url, key, "chat", "fusion/best-of", EASY)
    spend_is_the_bill(db_proxy, key, billed(upstream, PRICES))


def hang_up_mid_stream(db: DbProxy, key: str, model: str) -> None:
    """Stream `model` and drop the connection once the first answer text arrived."""

    async def go() -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            body = {"model": model, "stream": True, "messages": [{"role": "user", "content": EASY}]}
            headers = {"Authorization": f"Bearer {key}"}
            async with http.stream("POST", f"{db.base_url}/v1/chat/completions", json=body, headers=headers) as r:
                assert r.status_code == 200
                async for line in r.aiter_lines():
                    if '"content"' in line:
                        return  # leaving the block closes the connection mid-answer

    asyncio.run(asyncio.wait_for(go(), 30))


def test_a_stream_cut_mid_answer_settles_its_reservation(db_proxy: DbProxy, upstream: FakeUpstream):
    hold = threading.Event()
    steer(upstream, judge={"text": "a merged answer nobody reads", "stream_chunk_chars": 4, "stream_hold": hold})
    key = db_proxy.new_key(max_budget=BEST_OF / 2)
    try:
        hang_up_mid_stream(db_proxy, key, "fusion/merge")
        wait_for(lambda: db_proxy.spend_rows(key), timeout=30, what="the cut stream's spend row")
    finally:
        hold.set()
    judge = wait_for(
        lambda: [s for s in upstream.requests_for("judge") if s.finished is not None], what="the judge's call to end"
    )
    assert judge[0].usage is None, "the judge never finished its answer: nothing billed for it"
    steer(upstream)
    ask(db_proxy.base_url, key, "chat", "fusion/best-of", EASY)
    spend_is_the_bill(db_proxy, key, billed(upstream, PRICES))
