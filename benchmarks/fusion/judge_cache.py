"""Judge-cache hit vs miss through a real proxy and a real redis-server, in one run.

Fake upstreams (own process): members 100 / 150 ms, judge 300 ms. Each request type runs N times:
- miss: a new question each time (judge called, decision stored),
- hit:  the same questions again (judge decision read from Redis),
- off:  the same fusion model with judge_cache_ttl: off (no Redis traffic at all).
"Over panel" = wall time − slowest member's latency (150 ms). The cache's own cost is the hit's
fusion overhead (x-litellm-fusion-overhead-ms, which includes the Redis read) minus the off run's.

    .venv/bin/python -m benchmarks fusion judge-cache [--n 40]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import openai

from tests.support.proxy_harness import ProxyProcess, fake_deployment
from tests.support.redis_harness import RedisServer

from ..harness.processes import upstream_process
from ..harness.stats import pct

SLOWEST_MEMBER = 0.150
WIRING = {
    "custom_provider_map": [{"provider": "fusion", "custom_handler": "litellm_fusion.fusion_handler"}],
    "callbacks": ["litellm_fusion.fusion_callbacks"],
}


def config(url: str, redis_port: int) -> dict:
    models = [fake_deployment(n, url, 1e-6, 2e-6) for n in ("b-a", "b-b")] + [
        fake_deployment("b-judge", url, 1e-5, 3e-5)
    ]
    base = {"panel": ["b-a", "b-b"], "judge": "b-judge"}
    models += [
        {"model_name": "fusion/best-of", "litellm_params": {"model": "fusion/best-of", **base}},
        {
            "model_name": "fusion/best-of-nocache",
            "litellm_params": {"model": "fusion/best-of-nocache", "mode": "best-of", "judge_cache_ttl": "off", **base},
        },
    ]
    return {
        "model_list": models,
        "router_settings": {"num_retries": 0, "redis_host": "127.0.0.1", "redis_port": redis_port},
        "litellm_settings": WIRING,
    }


def run(client: openai.OpenAI, model: str, questions: list[str]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"wall_ms": [], "own_ms": [], "cost": [], "judge_cost": []}
    for q in questions:
        start = time.perf_counter()
        raw = client.chat.completions.with_raw_response.create(model=model, messages=[{"role": "user", "content": q}])
        out["wall_ms"].append((time.perf_counter() - start) * 1000)
        out["own_ms"].append(float(raw.headers["x-litellm-fusion-overhead-ms"]))
        out["cost"].append(float(raw.headers.get("x-litellm-response-cost", 0)))
        out.setdefault("cache", []).append(raw.headers["x-litellm-fusion-judge-cache"])  # type: ignore[arg-type]
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=40)
    args = parser.parse_args(argv)
    behaviours = {
        "b-a": {"text": "alpha", "latency": 0.10},
        "b-b": {"text": "beta", "latency": SLOWEST_MEMBER},
        "b-judge": {
            "text": '{"winner": 2, "reason": "r"}',
            "latency": 0.30,
            "prompt_tokens": 200,
            "completion_tokens": 20,
        },
    }
    work = Path(tempfile.mkdtemp())
    redis = RedisServer(work).start()
    try:
        with upstream_process(behaviours) as url, ProxyProcess(config(url, redis.port), work, spend_log=False) as proxy:
            client = openai.OpenAI(base_url=proxy.base_url, api_key=proxy.master_key, max_retries=0, timeout=60)
            warm = [f"warm {uuid.uuid4().hex}" for _ in range(5)]
            run(client, "fusion/best-of", warm), run(client, "fusion/best-of", warm)
            questions = [f"question {uuid.uuid4().hex}" for _ in range(args.n)]
            results = {
                "miss": run(client, "fusion/best-of", questions),
                "hit": run(client, "fusion/best-of", questions),
                "off": run(client, "fusion/best-of-nocache", questions),
            }
    finally:
        redis.stop()
    print(
        "| run | n | judge cache | wall p50 ms | wall p95 ms | over panel p50 ms | fusion's own p50 ms | cost per request $ |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        statuses = sorted(set(r["cache"]))  # type: ignore[arg-type]
        print(
            f"| {name} | {len(r['wall_ms'])} | {','.join(statuses)} | {pct(r['wall_ms'], 0.5):.1f} | {pct(r['wall_ms'], 0.95):.1f} | "
            f"{pct(r['wall_ms'], 0.5) - SLOWEST_MEMBER * 1000:.1f} | {pct(r['own_ms'], 0.5):.2f} | {statistics.fmean(r['cost']):.6f} |"
        )
    added = pct(results["hit"]["own_ms"], 0.5) - pct(results["off"]["own_ms"], 0.5)
    print(
        f"\nA hit's judge cost: ${statistics.fmean(results['miss']['cost']) - statistics.fmean(results['hit']['cost']):.6f} saved per request "
        f"(hit cost = panel only). Redis read on a hit adds {added:.2f} ms p50 to fusion's own time vs no cache."
    )


if __name__ == "__main__":
    main()
