"""Cascade latency through a real LiteLLM proxy, side by side in one run (issue 11, point 4).

Fake upstreams answer after a fixed latency, so each request's ideal time is known:
- cascade accepting at tier 1: the slowest tier-1 member (the two cheap members agree);
- cascade escalating: slowest tier-1 member + the strong model (the cheap members disagree);
- the strong model alone, and a cheap model alone (LiteLLM's own per-request overhead for comparison).
Overhead = wall time - ideal. The cascade's own overhead beyond its inner calls is the reply's
`x-litellm-fusion-overhead-ms` header (target: <= 5 ms p50): wall time of the cascade minus its slowest call
per tier, which includes whatever else the proxy's event loop runs in between (LiteLLM's logging of each
finished inner call). The same cascades run in process on the engine alone (a caller that sleeps the same
latencies, no LiteLLM) show what the engine itself costs.

    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python -m benchmarks cascade latency          # ~1-2 minutes
    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python -m benchmarks cascade latency --quick  # smoke run
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
from ..harness.stats import ms_cell, pct

LATENCY = {"cheap-a": 0.10, "cheap-b": 0.12, "cheap-c": 0.12, "strong": 0.30}
ANSWER = {"cheap-a": "The answer is (B).", "cheap-b": "B", "cheap-c": "The answer is C.", "strong": "B"}
WIRING = {
    "custom_provider_map": [{"provider": "fusion", "custom_handler": "litellm_fusion.fusion_handler"}],
    "callbacks": ["litellm_fusion.fusion_callbacks"],
}
CASES = {  # model: (ideal seconds, tier expected to answer or None for a plain model)
    "cascade-accepts": (LATENCY["cheap-b"], "1"),
    "cascade-escalates": (LATENCY["cheap-c"] + LATENCY["strong"], "2"),
    "strong": (LATENCY["strong"], None),
    "cheap-b": (LATENCY["cheap-b"], None),
}


def config(url: str) -> dict:
    models = [fake_deployment(name, url, 1e-7, 4e-7) for name in LATENCY]
    models += [
        {
            "model_name": "cascade-accepts",
            "litellm_params": {"model": "fusion/cascade", "tiers": [["cheap-a", "cheap-b"], ["strong"]]},
        },
        {
            "model_name": "cascade-escalates",
            "litellm_params": {"model": "fusion/cascade", "tiers": [["cheap-a", "cheap-c"], ["strong"]]},
        },
    ]
    return {"model_list": models, "router_settings": {"num_retries": 0}, "litellm_settings": WIRING}


async def run_case(client: openai.AsyncOpenAI, model: str, concurrency: int, requests: int):
    """(wall seconds, cascade's own overhead ms, tiers reached) per request."""
    sem = asyncio.Semaphore(concurrency)
    walls: list[float] = []
    own: list[float] = []
    tiers: set[str | None] = set()

    async def one(i: int) -> None:
        async with sem:
            start = time.perf_counter()
            raw = await client.chat.completions.with_raw_response.create(
                model=model, messages=[{"role": "user", "content": f"Which option, A, B or C? ({i})"}]
            )
            walls.append(time.perf_counter() - start)
            tiers.add(raw.headers.get("x-litellm-fusion-tier"))
            if "x-litellm-fusion-overhead-ms" in raw.headers:
                own.append(float(raw.headers["x-litellm-fusion-overhead-ms"]))

    await asyncio.gather(*(one(i) for i in range(requests)))
    return walls, own, tiers


async def bench(proxy: ProxyProcess, quick: bool) -> list[dict]:
    client = openai.AsyncOpenAI(base_url=proxy.base_url, api_key=proxy.master_key, max_retries=0, timeout=120)
    rows = []
    for concurrency, n in [(1, 10 if quick else 100), (4, 16 if quick else 200)]:
        for model, (ideal, tier) in CASES.items():
            await run_case(client, model, concurrency, min(n, 2 * concurrency))  # warm-up
            walls, own, tiers = await run_case(client, model, concurrency, n)
            if tier is not None and tiers != {tier}:
                raise SystemExit(f"{model}: expected every reply from tier {tier}, got {sorted(map(str, tiers))}")
            over = [(w - ideal) * 1000 for w in walls]
            rows.append(
                {
                    "model": model,
                    "concurrency": concurrency,
                    "n": n,
                    "ideal_ms": ideal * 1000,
                    "p50": pct(walls, 0.5) * 1000,
                    "p95": pct(walls, 0.95) * 1000,
                    "over_p50": pct(over, 0.5),
                    "over_p95": pct(over, 0.95),
                    "own_p50": pct(own, 0.5) if own else None,
                    "own_p95": pct(own, 0.95) if own else None,
                }
            )
    await client.close()
    return rows


def engine_only(requests: int) -> list[tuple[str, float, float]]:
    """(case, p50 ms, p95 ms) of FusionResult.overhead_s with no proxy: the engine with a sleeping caller."""
    from litellm_fusion.config import parse_fusion_params
    from litellm_fusion.engine import Completion, FusionEngine

    async def caller(model, messages, params, timeout):
        await asyncio.sleep(LATENCY[model])
        return Completion(text=ANSWER[model], cost=1e-6, prompt_tokens=10, completion_tokens=5)

    out = []
    for case, tier1 in (("cascade-accepts", ["cheap-a", "cheap-b"]), ("cascade-escalates", ["cheap-a", "cheap-c"])):
        cfg = parse_fusion_params(case, {"model": "fusion/cascade", "tiers": [tier1, ["strong"]]})

        async def run(cfg=cfg) -> list[float]:
            return [
                (await FusionEngine(cfg, caller).run([{"role": "user", "content": "Which?"}], {})).overhead_s
                for _ in range(requests)
            ]

        own = asyncio.run(run())
        out.append((case, pct(own, 0.5) * 1000, pct(own, 0.95) * 1000))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    behaviours = {name: {"text": ANSWER[name], "latency": latency} for name, latency in LATENCY.items()}
    engine = engine_only(10 if args.quick else 50)
    with (
        upstream_process(behaviours) as url,
        ProxyProcess(config(url), Path(tempfile.mkdtemp()), spend_log=False) as proxy,
    ):
        rows = asyncio.run(bench(proxy, args.quick))
    print(
        "| model | concurrency | requests | ideal ms | wall p50 ms | wall p95 ms | overhead p50 ms | overhead p95 ms "
        "| cascade's own p50 ms | cascade's own p95 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['model']} | {r['concurrency']} | {r['n']} | {r['ideal_ms']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | "
            f"{r['over_p50']:.1f} | {r['over_p95']:.1f} | {ms_cell(r['own_p50'])} | {ms_cell(r['own_p95'])} |"
        )
    print("\nThe engine alone, in process (caller sleeps the same latencies; no proxy, no LiteLLM):\n")
    print("| cascade | engine's own p50 ms | engine's own p95 ms |")
    print("|---|---|---|")
    for case, p50, p95 in engine:
        print(f"| {case} | {p50:.2f} | {p95:.2f} |")


if __name__ == "__main__":
    main()
