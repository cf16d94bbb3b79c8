"""Quorum and straggler cutoff with one slow member (10x the others), through a real proxy.

Members 400 / 400 / 4000 ms, judge 200 ms. `fusion/quorum` has quorum 2 and straggler_timeout 0;
`fusion/all` waits for every member. Target: p95 <= k-th member + judge + 10% = 660 ms.

    .venv/bin/python -m benchmarks fusion quorum [--n 30] [--concurrency 1]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import openai

from tests.support.proxy_harness import ProxyProcess, fake_deployment

from ..harness.processes import upstream_process
from ..harness.stats import pct

LAT = {"q-a": 0.4, "q-b": 0.4, "q-slow": 4.0, "q-judge": 0.2}
WIRING = {
    "custom_provider_map": [{"provider": "fusion", "custom_handler": "litellm_fusion.fusion_handler"}],
    "callbacks": ["litellm_fusion.fusion_callbacks"],
}


def config(url: str) -> dict:
    models = [fake_deployment(n, url, 1e-6, 2e-6) for n in LAT]
    base = {"mode": "best-of", "panel": ["q-a", "q-b", "q-slow"], "judge": "q-judge"}
    models += [
        {
            "model_name": "fusion/quorum",
            "litellm_params": {"model": "fusion/quorum", "quorum": 2, "straggler_timeout": 0, **base},
        },
        {"model_name": "fusion/all", "litellm_params": {"model": "fusion/all", **base}},
    ]
    return {"model_list": models, "router_settings": {"num_retries": 0}, "litellm_settings": WIRING}


async def run(client: openai.AsyncOpenAI, model: str, n: int, concurrency: int = 1) -> list[float]:
    sem = asyncio.Semaphore(concurrency)
    walls: list[float] = []

    async def one(i: int) -> None:
        async with sem:
            start = time.perf_counter()
            await client.chat.completions.create(model=model, messages=[{"role": "user", "content": f"q{i}"}])
            walls.append((time.perf_counter() - start) * 1000)

    await asyncio.gather(*(one(i) for i in range(n)))
    return walls


async def bench(proxy: ProxyProcess, n: int, concurrency: int) -> dict[str, list[float]]:
    client = openai.AsyncOpenAI(base_url=proxy.base_url, api_key=proxy.master_key, max_retries=0, timeout=60)
    await run(client, "fusion/quorum", 4)
    out = {model: await run(client, model, n, concurrency) for model in ("fusion/quorum", "fusion/all")}
    await client.close()
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args(argv)
    behaviours = {
        m: {"text": '{"winner": 1, "reason": "r"}' if m == "q-judge" else f"answer {m}", "latency": lat}
        for m, lat in LAT.items()
    }
    with (
        upstream_process(behaviours) as url,
        ProxyProcess(config(url), Path(tempfile.mkdtemp()), spend_log=False) as proxy,
    ):
        results = asyncio.run(bench(proxy, args.n, args.concurrency))
    target = (LAT["q-b"] + LAT["q-judge"]) * 1000 * 1.1
    print("| model | concurrency | n | p50 ms | p95 ms | target p95 ms (k-th member + judge + 10%) | met |")
    print("|---|---|---|---|---|---|---|")
    for model, walls in results.items():
        p95 = pct(walls, 0.95)
        print(
            f"| {model} | {args.concurrency} | {len(walls)} | {pct(walls, 0.5):.1f} | {p95:.1f} | {target:.0f} | {'yes' if p95 <= target else 'no'} |"
        )


if __name__ == "__main__":
    main()
