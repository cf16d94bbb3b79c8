"""Fusion overhead through a real LiteLLM proxy, side by side with a plain model in the same run.

Fake upstreams answer after a fixed latency, so the ideal time of a fusion request is known:
slowest member + judge (debate: rounds x slowest member + judge). Overhead = wall time - ideal.
A plain model with the slowest member's latency, through the same proxy, shows LiteLLM's own
per-request overhead for comparison.

    .venv/bin/python -m benchmarks fusion overhead            # full run (about 2 minutes)
    .venv/bin/python -m benchmarks fusion overhead --quick    # smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import openai

from tests.support.proxy_harness import ProxyProcess, fake_deployment

from ..harness.processes import upstream_process
from ..harness.stats import ms_cell, pct

LATENCY = {"m-a": 0.10, "m-b": 0.15, "m-c": 0.20, "judge": 0.05, "plain": 0.20}
WIRING = {
    "custom_provider_map": [{"provider": "fusion", "custom_handler": "litellm_fusion.fusion_handler"}],
    "callbacks": ["litellm_fusion.fusion_callbacks"],
}
CASES = {  # model: ideal seconds
    "plain": LATENCY["plain"],
    "fusion/best-of": LATENCY["m-c"] + LATENCY["judge"],
    "fusion/debate": 2 * LATENCY["m-c"] + LATENCY["judge"],
}


def config(url: str) -> dict:
    models = [fake_deployment(name, url, 1e-6, 2e-6) for name in LATENCY]
    models += [
        {
            "model_name": "fusion/best-of",
            "litellm_params": {"model": "fusion/best-of", "panel": ["m-a", "m-b", "m-c"], "judge": "judge"},
        },
        {
            "model_name": "fusion/debate",
            "litellm_params": {"model": "fusion/debate", "panel": ["m-a", "m-b", "m-c"], "judge": "judge", "rounds": 2},
        },
    ]
    return {"model_list": models, "router_settings": {"num_retries": 0}, "litellm_settings": WIRING}


async def run_case(
    client: openai.AsyncOpenAI, model: str, concurrency: int, requests: int
) -> tuple[list[float], list[float]]:
    """(wall seconds, fusion's own overhead in ms from x-litellm-fusion-overhead-ms) per request."""
    sem = asyncio.Semaphore(concurrency)
    walls: list[float] = []
    own: list[float] = []

    async def one(i: int) -> None:
        async with sem:
            start = time.perf_counter()
            raw = await client.chat.completions.with_raw_response.create(
                model=model, messages=[{"role": "user", "content": f"q{i}"}]
            )
            walls.append(time.perf_counter() - start)
            if "x-litellm-fusion-overhead-ms" in raw.headers:
                own.append(float(raw.headers["x-litellm-fusion-overhead-ms"]))

    await asyncio.gather(*(one(i) for i in range(requests)))
    return walls, own


async def bench(proxy: ProxyProcess, quick: bool) -> list[dict]:
    client = openai.AsyncOpenAI(base_url=proxy.base_url, api_key=proxy.master_key, max_retries=0, timeout=120)
    rows = []
    plan = [(1, 10 if quick else 60), (64, 64 if quick else 320)]
    for concurrency, n in plan:
        for model, floor in CASES.items():
            await run_case(client, model, concurrency, min(n, concurrency * 2))  # warm-up
            walls, own = await run_case(client, model, concurrency, n)
            over = [(w - floor) * 1000 for w in walls]
            rows.append(
                {
                    "model": model,
                    "concurrency": concurrency,
                    "n": n,
                    "wall_p50_ms": pct(walls, 0.5) * 1000,
                    "over_p50_ms": pct(over, 0.5),
                    "over_p95_ms": pct(over, 0.95),
                    "over_p50_pct": pct(over, 0.5) / (floor * 1000) * 100,
                    "over_mean_ms": statistics.fmean(over),
                    "own_p50_ms": pct(own, 0.5) if own else None,
                    "own_p95_ms": pct(own, 0.95) if own else None,
                }
            )
    await client.close()
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    # The fake upstream runs in a process of its own so that it does not share a GIL with the client.
    behaviours = {
        name: {"text": '{"winner": 1, "reason": "r"}' if name == "judge" else f"answer {name}", "latency": latency}
        for name, latency in LATENCY.items()
    }
    with (
        upstream_process(behaviours) as url,
        ProxyProcess(config(url), Path(tempfile.mkdtemp()), spend_log=False) as proxy,
    ):
        rows = asyncio.run(bench(proxy, args.quick))
    plain = {r["concurrency"]: r for r in rows if r["model"] == "plain"}
    print(
        "| model | concurrency | requests | ideal ms | wall p50 ms | overhead p50 ms | overhead p95 ms "
        "| overhead p50 % of ideal | overhead p50 vs plain | fusion's own p50 ms | fusion's own p95 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        base = plain[r["concurrency"]]["over_p50_ms"]
        ratio = f"{r['over_p50_ms'] / base:.2f}x" if r["model"] != "plain" and base > 0 else "-"
        print(
            f"| {r['model']} | {r['concurrency']} | {r['n']} | {CASES[r['model']] * 1000:.0f} | {r['wall_p50_ms']:.1f} | "
            f"{r['over_p50_ms']:.1f} | {r['over_p95_ms']:.1f} | {r['over_p50_pct']:.1f}% | {ratio} | "
            f"{ms_cell(r['own_p50_ms'])} | {ms_cell(r['own_p95_ms'])} |"
        )


if __name__ == "__main__":
    main()
