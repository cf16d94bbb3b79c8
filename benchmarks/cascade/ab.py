"""Two versions of the plugin side by side: the same cascades through two proxies at once, one running
litellm_fusion as it was at git revision `--base` (A), the other this checkout's (B). Requests go one at a time,
alternating A and B (the order flipped every pair), so load from other jobs on the machine hits both alike; the
paired differences (B - A) of wall time say whether a change saved time end to end, whatever the plugin's own
overhead figure says.

    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python -m benchmarks cascade ab --base main   # ~4 minutes
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import openai

from tests.support.proxy_harness import ProxyProcess

from ..harness.paths import TEST_PLUGINS
from ..harness.processes import plugin_at, upstream_process
from ..harness.stats import pct
from .latency import ANSWER, CASES, LATENCY, config


async def one(client: openai.AsyncOpenAI, model: str, i: int) -> tuple[float, float | None]:
    """(wall ms, x-litellm-fusion-overhead-ms or None)."""
    start = time.perf_counter()
    raw = await client.chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": f"Which option, A, B or C? ({i})"}]
    )
    own = raw.headers.get("x-litellm-fusion-overhead-ms")
    return (time.perf_counter() - start) * 1000, None if own is None else float(own)


async def bench(a: ProxyProcess, b: ProxyProcess, requests: int) -> None:
    clients = [
        openai.AsyncOpenAI(base_url=p.base_url, api_key=p.master_key, max_retries=0, timeout=120) for p in (a, b)
    ]
    print(
        "| model | requests each | A wall p50 ms | B wall p50 ms | B - A, p50 of paired differences ms "
        "| A wall p95 ms | B wall p95 ms | A own p50 ms | B own p50 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for model in CASES:
        for i in range(4):  # warm-up
            for client in clients:
                await one(client, model, i)
        walls: tuple[list[float], list[float]] = ([], [])
        owns: tuple[list[float], list[float]] = ([], [])
        for i in range(requests):
            for side in (0, 1) if i % 2 == 0 else (1, 0):
                wall, own = await one(clients[side], model, i)
                walls[side].append(wall)
                if own is not None:
                    owns[side].append(own)
        diffs = [y - x for x, y in zip(*walls)]
        own_a, own_b = (f"{pct(o, 0.5):.2f}" if o else "-" for o in owns)
        print(
            f"| {model} | {requests} | {pct(walls[0], 0.5):.1f} | {pct(walls[1], 0.5):.1f} | {pct(diffs, 0.5):+.1f} | "
            f"{pct(walls[0], 0.95):.1f} | {pct(walls[1], 0.95):.1f} | {own_a} | {own_b} |"
        )
    for client in clients:
        await client.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True, help="git revision of the plugin to compare against (A)")
    parser.add_argument("--requests", type=int, default=80)
    args = parser.parse_args(argv)
    behaviours = {name: {"text": ANSWER[name], "latency": latency} for name, latency in LATENCY.items()}
    with plugin_at(args.base) as base, upstream_process(behaviours) as url:
        env = {"PYTHONPATH": os.pathsep.join([str(base), str(TEST_PLUGINS)])}
        with (
            ProxyProcess(config(url), Path(tempfile.mkdtemp()), spend_log=False, env=env) as a,
            ProxyProcess(config(url), Path(tempfile.mkdtemp()), spend_log=False) as b,
        ):
            asyncio.run(bench(a, b, args.requests))


if __name__ == "__main__":
    main()
