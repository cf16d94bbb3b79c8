"""A client that hangs up mid-request (LiteLLM's cancel_on_disconnect), streamed or not, before the first byte or
mid-answer: in-flight calls are cancelled, and what the calls that had already finished cost is charged once
(LiteLLM's failure spend row before the first byte; the stream's own row after it)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.support.fake_upstream import FakeUpstream
from tests.support.helpers import FUSION_WIRING, LITELLM_VERSION, billed, new_tag, tagged_rows, wait_for
from tests.support.proxy_fleet import Fleet
from tests.support.proxy_harness import ProxyProcess, fake_deployment


def fleet_proxies(fleet: Fleet) -> None:
    upstream = fleet.cancelling_upstream()
    fleet.add(
        "disconnect",
        {
            "model_list": [
                fake_deployment(n, upstream.base_url, 1e-6, 2e-6) for n in ("d-a", "d-b", "d-slow", "d-judge")
            ]
            + [
                {
                    "model_name": "fusion/best-of",
                    "litellm_params": {
                        "model": "fusion/best-of",
                        "panel": ["d-a", "d-b", "d-slow"],
                        "judge": "d-judge",
                    },
                },
                {
                    "model_name": "fusion/merge",
                    "litellm_params": {"model": "fusion/merge", "panel": ["d-a", "d-b"], "judge": "d-judge"},
                },
            ],
            "router_settings": {"num_retries": 0},
            "general_settings": {"cancel_on_disconnect": True},
            "litellm_settings": dict(FUSION_WIRING),
        },
    )


@pytest.fixture(scope="module")
def setup(fleet: Fleet) -> Iterator[tuple[ProxyProcess, FakeUpstream]]:
    with fleet.lease("disconnect") as proxy:
        yield proxy, fleet.cancelling_upstream()


def test_disconnect_cancels_the_panel_and_charges_what_completed(setup):
    proxy, upstream = setup
    for name in ("d-a", "d-b", "d-slow"):
        upstream.set(name, text=f"answer {name}", prompt_tokens=10, completion_tokens=5)
    upstream.set("d-judge", text='{"winner": 1, "reason": "r"}')
    proxy.openai_client().chat.completions.create(
        model="fusion/best-of", messages=[{"role": "user", "content": "warm up"}]
    )
    wait_for(lambda: len(proxy.spend_rows()) == 1, what="the warm-up's spend row")
    upstream.reset()
    upstream.set("d-a", text="A", prompt_tokens=10, completion_tokens=5)
    upstream.set("d-b", text="B", prompt_tokens=10, completion_tokens=5)
    upstream.set("d-slow", text="S", latency=20.0)
    upstream.set("d-judge", text='{"winner": 1, "reason": "r"}')
    with pytest.raises(openai.APITimeoutError):
        proxy.openai_client(timeout=2.0).chat.completions.create(
            model="fusion/best-of", messages=[{"role": "user", "content": "q"}]
        )
    rows = wait_for(lambda: proxy.spend_rows()[1:], what="the failure row of the abandoned request")
    assert len(rows) == 1 and rows[0]["status"] == "failure"
    assert rows[0]["spend"] == pytest.approx(2 * (10 * 1e-6 + 5 * 2e-6), rel=1e-9), (
        "d-a and d-b answered and were billed"
    )
    slow = wait_for(
        lambda: [s for s in upstream.requests_for("d-slow") if s.finished is not None], what="the slow call to end"
    )
    assert slow[0].status == 499, "the in-flight member call was cancelled"
    assert not upstream.requests_for("d-judge"), "the judge never ran for a reply nobody reads"


PRICES = {name: (1e-6, 2e-6) for name in ("d-a", "d-b", "d-slow", "d-judge")}


def hang_up_after(proxy: ProxyProcess, body: dict, tag: str, ready) -> None:
    """Send a streamed request and drop the connection once `ready(lines read so far)` is true."""

    async def go() -> None:
        async with httpx.AsyncClient(timeout=30) as http:

            async def request() -> None:
                async with http.stream(
                    "POST",
                    f"{proxy.base_url}/v1/chat/completions",
                    json=body,
                    headers={"Authorization": f"Bearer {proxy.master_key}", "x-litellm-tags": tag},
                ) as r:
                    async for _ in r.aiter_lines():
                        pass

            task = asyncio.create_task(request())
            while not ready():
                await asyncio.sleep(0.02)  # sleep-ok: bounded by the test's own wait below
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    asyncio.run(asyncio.wait_for(go(), 30))


@pytest.mark.skipif(
    LITELLM_VERSION < (1, 108),
    reason="LiteLLM < 1.108 writes no spend row for a stream abandoned before "
    "its first chunk (docs/compatibility.md, known limit)",
)
def test_streamed_hang_up_before_the_first_byte_cancels_the_panel_and_charges_what_completed(setup):
    proxy, upstream = setup
    upstream.reset()
    upstream.set("d-a", text="A", prompt_tokens=10, completion_tokens=5)
    upstream.set("d-b", text="B", prompt_tokens=11, completion_tokens=6)
    upstream.set("d-slow", text="S", latency=20.0)
    upstream.set("d-judge", text='{"winner": 1, "reason": "r"}')
    tag = new_tag()
    body = {"model": "fusion/best-of", "stream": True, "messages": [{"role": "user", "content": "q"}]}
    hang_up_after(
        proxy, body, tag, lambda: len([s for s in upstream.seen if s.finished]) >= 2 and upstream.requests_for("d-slow")
    )
    (row,) = wait_for(lambda: tagged_rows(proxy, tag), what="the abandoned stream's row")
    slow = wait_for(
        lambda: [s for s in upstream.requests_for("d-slow") if s.finished is not None], what="the slow call to end"
    )
    assert slow[0].cancelled and not upstream.requests_for("d-judge")
    assert row["status"] == "failure" and billed(upstream, PRICES) > 0
    assert row["spend"] == pytest.approx(billed(upstream, PRICES), rel=1e-9)


def test_streamed_hang_up_mid_answer_stops_the_judge_and_charges_what_completed(setup):
    proxy, upstream = setup
    upstream.reset()
    hold = threading.Event()
    upstream.set("d-a", text="A", prompt_tokens=10, completion_tokens=5)
    upstream.set("d-b", text="B", prompt_tokens=11, completion_tokens=6)
    upstream.set("d-judge", text="a merged answer that is never finished", stream_chunk_chars=4, stream_hold=hold)
    tag = new_tag()
    body = {"model": "fusion/merge", "stream": True, "messages": [{"role": "user", "content": "q"}]}
    try:
        hang_up_after(proxy, body, tag, lambda: bool(upstream.requests_for("d-judge")))
        judge = wait_for(
            lambda: [s for s in upstream.requests_for("d-judge") if s.cancelled],
            timeout=20,
            what="the judge's call to be cancelled while it was still writing",
        )
    finally:
        hold.set()
    (row,) = wait_for(lambda: tagged_rows(proxy, tag), what="the abandoned stream's row")
    assert judge[0].usage is None, "the judge never finished: nothing billed for it"
    assert (
        row["spend"]
        == pytest.approx(billed(upstream, PRICES), rel=1e-9)
        == pytest.approx(10e-6 + 10e-6 + 11e-6 + 12e-6)
    )
    metadata = row["metadata"] if isinstance(row["metadata"], dict) else json.loads(row["metadata"])
    assert metadata["spend_logs_metadata"]["fusion"]["outcome"] == "disconnected"
