"""The soak's phases besides the main load: the cold start, waiting for settled metrics and spend rows, Redis
recovery, and clients that hang up mid-request."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import openai

from tests.support.fake_upstream import FakeUpstream
from tests.support.helpers import metric_sum
from tests.support.proxy_harness import ProxyProcess

from .client import Result, one_request
from .faults import Faults, tag_of
from .probe import probe
from .report import SoakReport
from .workload import FUSION, billed


def wait_rows(proxy: ProxyProcess, count: int, timeout: float = 15.0) -> list[dict[str, Any]]:
    """The proxy's spend rows once there are `count` of them (bounded: whatever is there after `timeout`)."""
    deadline = time.monotonic() + timeout
    while len(rows := proxy.spend_rows()) < count and time.monotonic() < deadline:
        time.sleep(0.05)  # sleep-ok: bounded polling for the proxy's asynchronous spend writes
    return rows


async def drive_disconnects_only(
    proxy: ProxyProcess, upstream: FakeUpstream, seed: int, count: int
) -> list[dict[str, Any]]:
    client = openai.AsyncOpenAI(base_url=proxy.base_url, api_key=proxy.master_key, max_retries=0, timeout=30)
    try:
        return await disconnect_phase(proxy, upstream, client, seed + 1000, count)
    finally:
        await client.close()


async def recovery_phase(
    client: openai.AsyncOpenAI, report: SoakReport, faults: Faults, events: dict[str, float], timeout: float = 20.0
) -> list[Result]:
    """After Redis is back: one fusion request at a time until the judge cache works again (`miss`), bounded.
    (After a failure the store skips Redis for 5 s; a short run may end inside that window.)"""
    out: list[Result] = []
    if "restart" not in events:
        return out
    start = time.monotonic()
    k = report.n
    while time.monotonic() - start < timeout:
        tag = f"soak-{report.seed}-{k:05d}"
        res = Result(k, tag, "fusion/merge", False, "recovery")
        await one_request(client, res, f"Question {tag}: is the cache back?")
        out.append(res)
        k += 1
        if res.headers.get("x-litellm-fusion-judge-cache") == "miss" and res.t_start > events["restart"]:
            break
        await asyncio.sleep(0.5)  # sleep-ok: bounded polling, one request per half second
    return out


async def cold_start(client: openai.AsyncOpenAI) -> list[Result]:
    """One request per model, one after another, before anything is measured: a freshly started proxy does
    first-use work (HTTP clients per deployment, the Redis connection, LiteLLM's lazy imports) on its first
    requests, and a burst of 16 cold requests on a loaded 2-core machine could spend the member timeout on
    it. Untagged and their spend rows set aside, so no check counts them."""
    out = []
    for i, model in enumerate([*FUSION, "plain", "auto"]):
        res = Result(-1 - i, f"warm-{i}", model, False, "cold start")
        await one_request(client, res, f"cold start {i}: say hello")
        out.append(res)
    return out


async def settled_metrics(
    proxy: ProxyProcess, results: list[Result], timeout: float = 30.0, rows_at_least: int = 0
) -> str:
    """/metrics once every answered request has its spend row (and there are `rows_at_least` rows, failure rows
    included) and Prometheus stopped moving (bounded)."""
    want = {r.response_id for r in results if r.ok}
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        rows = [r.get("request_id") for r in await asyncio.to_thread(proxy.spend_rows)]
        text = await asyncio.to_thread(proxy.metrics)
        total = metric_sum(text, "litellm_spend_metric_total")
        if want <= set(rows) and len(rows) >= rows_at_least and last == total:
            return text
        last = total
        await asyncio.sleep(0.5)  # sleep-ok: bounded polling for the proxy's asynchronous logging
    return await asyncio.to_thread(proxy.metrics)


async def disconnect_phase(
    proxy: ProxyProcess, upstream: FakeUpstream, client: openai.AsyncOpenAI, seed: int, count: int
) -> list[dict[str, Any]]:
    """Abandon requests while the slow member (2 s) is in flight; see what keeps running upstream."""
    out = []
    for j in range(count):
        tag = f"soakdc-{seed}-{j:05d}"
        stream = j % 2 == 1
        res = Result(10**6 + j, tag, "fusion/slow", stream, "disconnect")
        task = asyncio.create_task(one_request(client, res, f"Question {tag}: abandoned?"))
        started = time.monotonic()
        # wait (bounded) until the slow member's call is in flight at the upstream, then hang up
        while time.monotonic() - started < 5 and not any(
            tag_of(s.body) == tag for s in upstream.requests_for("m-slow")
        ):
            await asyncio.sleep(0.02)  # sleep-ok: bounded polling for the call to reach the upstream
        await asyncio.sleep(0.3)  # sleep-ok: the scenario itself: the client gives up 0.3 s into the panel
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        hung_up = time.monotonic()
        # bounded wait: everything for this tag finished upstream and no fusion code runs in the proxy
        quiet = False
        while time.monotonic() - hung_up < 10:
            calls = [s for s in list(upstream.seen) if tag_of(s.body) == tag]
            snap = await asyncio.to_thread(probe, proxy)
            if (
                all(s.finished is not None for s in calls)
                and snap["fusion_tasks"] == 0
                and snap["requests_in_flight"] == 0
            ):
                quiet = True
                break
            await asyncio.sleep(0.05)  # sleep-ok: bounded polling
        calls = [s for s in list(upstream.seen) if tag_of(s.body) == tag]
        slow = [s for s in calls if s.model == "m-slow"]
        out.append(
            {
                "tag": tag,
                "stream": stream,
                "quiet": quiet,
                "client_got_reply": res.ok,
                "slow_cancelled": bool(slow) and all(s.cancelled for s in slow),
                "slow_ran_s": round(max(((s.finished or hung_up) - s.started) for s in slow), 2) if slow else None,
                "judge_called": any(s.model == "judge" for s in calls),
                "billed": sum(billed(upstream, s) for s in calls),
            }
        )
    return out
