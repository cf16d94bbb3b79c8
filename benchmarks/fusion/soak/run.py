"""One soak run: start the fake upstream, Redis and two proxies, drive the workload with Redis killed and
restarted midway, then evaluate; and its command line."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import openai

from tests.support.fake_upstream import FakeUpstream
from tests.support.proxy_harness import ProxyProcess
from tests.support.redis_harness import RedisServer

from .client import run_phase
from .evaluate import evaluate
from .faults import Faults
from .phases import cold_start, disconnect_phase, drive_disconnects_only, recovery_phase, settled_metrics, wait_rows
from .probe import proxy_pid, quiesce, resources
from .report import SoakReport, summary, write_results
from .workload import DEADLINE, MARGIN, plan, proxy_config, steer


async def _drive(
    proxy: ProxyProcess,
    upstream: FakeUpstream,
    redis: RedisServer,
    faults: Faults,
    report: SoakReport,
    disconnects: int,
) -> dict[str, Any]:
    items = plan(report.n, faults, report.seed)
    warm_n = max(1, report.n // 5)
    limits = httpx.Limits(max_connections=report.concurrency * 2, max_keepalive_connections=report.concurrency * 2)
    client = openai.AsyncOpenAI(
        base_url=proxy.base_url,
        api_key=proxy.master_key,
        max_retries=0,
        timeout=DEADLINE + MARGIN + 5,
        http_client=openai.DefaultAsyncHttpxClient(limits=limits),
    )
    pid = await asyncio.to_thread(proxy_pid, proxy)
    ports = {"upstream": upstream.port, "redis": redis.port, "proxy": proxy.port}
    state: dict[str, Any] = {"pid": pid, "ports": ports}
    warm_up = await cold_start(client)
    state["metrics_before"] = await settled_metrics(proxy, warm_up, rows_at_least=len(warm_up))
    state["cold_start_rows"] = {r.get("request_id") for r in await asyncio.to_thread(proxy.spend_rows)}

    warm = await run_phase(client, items[:warm_n], "warmup", report.concurrency)
    state["after_warmup"] = {"probe": await quiesce(proxy, upstream), "proc": resources(pid, ports)}

    rest = items[warm_n:]
    kill_at, restart_at = int(len(rest) * 0.3), int(len(rest) * 0.55)  # ~45% and ~65% of the whole run
    events: dict[str, float] = {}
    chaos: list[asyncio.Task[None]] = []

    async def kill() -> None:
        proc = redis.proc
        assert proc is not None
        proc.kill()  # SIGKILL: Redis dies, its sockets reset
        await asyncio.to_thread(proc.wait, 10)
        redis.proc = None
        events["killed"] = time.monotonic()

    async def restart() -> None:
        await asyncio.to_thread(redis.start)
        events["restart"] = time.monotonic()

    async def on_progress(done: int) -> None:
        if done >= kill_at and "kill" not in events:
            events["kill"] = time.monotonic()
            chaos.append(asyncio.create_task(kill()))
        elif done >= restart_at and "killed" in events and "restart_asked" not in events:
            events["restart_asked"] = time.monotonic()
            chaos.append(asyncio.create_task(restart()))

    main = await run_phase(client, rest, "main", report.concurrency, on_progress)
    await asyncio.gather(*chaos)
    state["events"] = events
    main += await recovery_phase(client, report, faults, events)
    state["after_run"] = {"probe": await quiesce(proxy, upstream), "proc": resources(pid, ports)}
    report.results = warm + main
    state["metrics_after"] = await settled_metrics(proxy, report.results)
    state["rows"] = await asyncio.to_thread(proxy.spend_rows)

    state["disconnects"] = await disconnect_phase(proxy, upstream, client, report.seed, disconnects)
    state["after_disconnects"] = {"probe": await quiesce(proxy, upstream), "proc": resources(pid, ports)}
    before = {r.get("request_id") for r in state["rows"]}
    state["disconnect_rows"] = [
        r for r in await asyncio.to_thread(proxy.spend_rows) if r.get("request_id") not in before
    ]
    await client.close()
    return state


def run_soak(
    n: int = 2000,
    concurrency: int = 32,
    seed: int = 5,
    disconnects: int = 6,
    workdir: Path | None = None,
    verbose: bool = True,
) -> SoakReport:
    work = workdir or Path(tempfile.mkdtemp(prefix="soak-"))
    faults = Faults(seed)
    report = SoakReport(n, concurrency, seed)
    upstream = FakeUpstream(handler_cancellation=True).start()
    redis = RedisServer(work / "redis")
    (work / "redis").mkdir(parents=True, exist_ok=True)
    (work / "proxy").mkdir(parents=True, exist_ok=True)
    (work / "proxy-cancel").mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        steer(upstream, faults)
        redis.start()
        proxy = ProxyProcess(proxy_config(upstream.base_url, redis.port), work / "proxy")
        # the same disconnects against a proxy with LiteLLM's general_settings.cancel_on_disconnect: true, started
        # with the first (a start is seconds of one core's CPU, and it idles until the first proxy is done)
        cfg = proxy_config(upstream.base_url, redis.port, {"cancel_on_disconnect": True})
        proxy2 = ProxyProcess(cfg, work / "proxy-cancel")
        try:
            proxy.launch()
            proxy2.launch()
            proxy.wait_ready()
            proxy2.wait_ready()
            state = asyncio.run(_drive(proxy, upstream, redis, faults, report, disconnects))
            report.counts["proxy_log_tail"] = proxy.log_tail(1500)
            report.counts["stream_finalizer_guarded"] = state["after_warmup"]["probe"].get("stream_finalizer_guarded")
            proxy.stop()
            state["disconnects_cancel_on"] = asyncio.run(
                drive_disconnects_only(proxy2, upstream, report.seed, disconnects)
            )
            state["disconnect_rows_cancel_on"] = wait_rows(proxy2, len(state["disconnects_cancel_on"]))
        finally:
            proxy.stop()
            proxy2.stop()
        report.seconds = time.monotonic() - started
        evaluate(report, state, upstream, faults, state["rows"])
    finally:
        redis.stop()
        upstream.stop()
    if verbose:
        print(summary(report))
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--disconnects", type=int, default=6)
    parser.add_argument("--results", type=Path, default=None, help="write the summary into this RESULTS.md")
    args = parser.parse_args(argv)
    rep = run_soak(args.n, args.concurrency, args.seed, args.disconnects)
    if args.results:
        cmd = "LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python -m benchmarks fusion soak"
        if (args.n, args.concurrency, args.seed) != (2000, 32, 5):
            cmd += f" --n {args.n} --concurrency {args.concurrency} --seed {args.seed}"
        write_results(args.results, rep, cmd)


if __name__ == "__main__":
    main()
