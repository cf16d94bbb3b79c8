"""Live audits on a replayed stream (issue 23): the audit estimate against the truth, latency, and audit spend.

    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python -m benchmarks audit stream            # every family
    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python -m benchmarks audit stream --limit 200  # smoke run (default 400)

Each family of ../shared/data with recorded answers (RouterBench ARC-Challenge, Winogrande, MBPP; MMLU-Pro) is
replayed through a real `litellm` proxy with the plugin (tests/support/replay_upstream.py answers every call with
what that model really answered, billed at its recorded cost) and a real redis-server. The cascade has the example
config's shape, two cheap models agreeing or escalating to a strong one: RouterBench gpt-3.5 + claude-instant ->
gpt-4; MMLU-Pro gemini-flash + llama-70b -> gpt-4o. Two copies of it differ only in `audit.rate`: 0 and 0.2.

The stream is cut in windows of 100 requests. Per window the same prompts go through both copies, in alternating
order (rate 0 first, then rate 0.2 and its audits; next window rate 0.2 and its audits first), 8 at a time, each
replayed call taking 0.5 s (`--call-latency`): client-side latency of each. After each window, once its audits
are done, the estimate is read where operators read it (Redis, as `litellm-fusion audit` does): agreement of the
accepted tier-1 answers with the last tier, cumulative over the stream, with its 95% Wilson interval. Truth, from recorded correctness (benchmarks/audit_truth.py): an accepted
answer agrees with the last tier's when both were right (or, on 2-option Winogrande, both wrong); MMLU-Pro uses
the two models' recorded extracted letters. Reported: the estimate against the truth on the audited requests
themselves (target: within 0.03), whether the interval covers the truth on every accepted request so far, p50
latency at rate 0.2 vs 0, and audit spend: each audit's own spend row (tagged fusion-audit) and LiteLLM's totals
against the recorded costs, and every reply's cost header against its own calls only.
Writes benchmarks/audit_stream.png and prints markdown.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from litellm_fusion.cli_audit import read_tally
from litellm_fusion.config.audit import AuditRunnerSettings
from litellm_fusion.engine.audit.estimate import window
from tests.support import replay_data as rd
from tests.support.helpers import metric_sum
from tests.support.proxy_harness import ProxyProcess
from tests.support.redis_harness import RedisServer
from tests.support.replay_upstream import ReplayBook, replay_process

from ..harness.paths import DATA, REPO
from . import truth as at

WINDOW = 100
PREFIX = AuditRunnerSettings().prefix
CONCURRENCY = 8
RATE = 0.2
CALL_LATENCY = 0.5  # seconds each replayed call takes (a fast provider; the proxy is not CPU-bound, as in production)
WIRING = {
    "custom_provider_map": [{"provider": "fusion", "custom_handler": "litellm_fusion.fusion_handler"}],
    "callbacks": ["litellm_fusion.fusion_callbacks", "prometheus", "spend_capture.capture"],
}


def cascade(family: str, rate: float) -> str:
    return f"stream/{family.split('/')[-1]}/rate-{rate:g}"


def proxy_config(families: dict[str, at.Family], url: str, redis_port: int) -> dict[str, Any]:
    mp_prices = rd.mmlu_pro_prices()
    names = sorted({m for f in families.values() for m in f.models})
    models = [
        {
            "model_name": m,
            "litellm_params": {"model": f"openai/{m}", "api_base": url, "api_key": "replay"},
            "model_info": dict(
                zip(("input_cost_per_token", "output_cost_per_token"), mp_prices.get(m, rd.rb_deployment_prices()))
            ),
        }
        for m in names
    ]
    for name, f in families.items():
        for rate in (0.0, RATE):
            params = {"model": "fusion/cascade", "tiers": [f.cheap, [f.top]], "accept": {"agreement": "all"}}
            models.append({"model_name": cascade(name, rate), "litellm_params": {**params, "audit": {"rate": rate}}})
    return {
        "model_list": models,
        "router_settings": {"num_retries": 0, "timeout": 120, "redis_host": "127.0.0.1", "redis_port": redis_port},
        "litellm_settings": WIRING,
        "litellm_fusion": {"audits": {"refresh_s": 1, "timeout_ms": 1000}},
    }


async def send(client: Any, model: str, prompts: list[rd.Prompt], concurrency: int) -> list[at.Reply]:
    sem = asyncio.Semaphore(concurrency)

    async def one(p: rd.Prompt) -> at.Reply:
        async with sem:
            started = time.perf_counter()
            raw = await client.chat.completions.with_raw_response.create(
                model=model, messages=[{"role": "user", "content": p.text}]
            )
            h = raw.headers
            return at.Reply(
                p.key,
                time.perf_counter() - started,
                int(h["x-litellm-fusion-tier"]),
                h.get("x-litellm-fusion-winner"),
                h.get("x-litellm-fusion-audit") == "sampled",
                float(h.get("x-litellm-response-cost") or 0.0),
            )

    return await asyncio.gather(*(one(p) for p in prompts))


def audits_done(proxy: ProxyProcess, model: str) -> int:
    text = proxy.metrics()
    return int(
        metric_sum(text, "litellm_fusion_audits_total", model=model)
        + metric_sum(text, "litellm_fusion_audits_dropped_total", model=model)
    )


async def wait_audits(proxy: ProxyProcess, model: str, expected: int, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while audits_done(proxy, model) < expected:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{model}: {audits_done(proxy, model)} of {expected} audits after {timeout}s")
        await asyncio.sleep(0.2)


async def run_family(proxy: ProxyProcess, redis: RedisServer, name: str, f: at.Family, concurrency: int) -> at.Run:
    import openai

    client = openai.AsyncOpenAI(base_url=proxy.base_url, api_key=proxy.master_key, max_retries=0, timeout=180)
    run = at.Run(name, f)
    audited = 0
    for w in range(0, len(f.prompts), WINDOW):
        prompts = f.prompts[w : w + WINDOW]
        r0 = r20 = None
        for first in (0.0, RATE) if (w // WINDOW) % 2 == 0 else (RATE, 0.0):
            replies = await send(client, cascade(name, first), prompts, concurrency)
            if first:
                r20 = replies
                audited += sum(1 for r in replies if r.tier == 1 and r.sampled)
                await wait_audits(proxy, cascade(name, RATE), audited)
            else:
                r0 = replies
        assert r0 is not None and r20 is not None
        # the shared estimate, read as `litellm-fusion audit` reads it
        tally = read_tally(redis.client(), PREFIX, cascade(name, RATE), "tier:1", window(time.time(), 7))
        run.windows.append(at.Window(r0, r20, tally))
        print(f"  {name}: {w + len(prompts)} requests, {audited} audits", file=sys.stderr)
    await client.close()
    return run


def run_all(families: dict[str, at.Family], latency: float, concurrency: int) -> tuple[list[at.Run], at.Spend]:
    book = ReplayBook()
    for f in families.values():
        for p in f.prompts:
            for m in f.models:
                a = p.answers[m]
                book.record(m, p.text, a.text, a.prompt_tokens, a.completion_tokens)
    work = Path(tempfile.mkdtemp(prefix="audit-stream-"))
    redis = RedisServer(work).start()
    try:
        with (
            replay_process(book.save(work / "book.jsonl"), latency) as url,
            ProxyProcess(proxy_config(families, url, redis.port), work) as proxy,
        ):
            runs = [asyncio.run(run_family(proxy, redis, name, f, concurrency)) for name, f in families.items()]
            time.sleep(3)  # sleep-ok: LiteLLM writes spend rows from a queue; let the last ones land
            return runs, at.Spend.read(proxy, [cascade(n, RATE) for n in families])
    finally:
        redis.stop()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--families", nargs="+", default=list(at.FAMILIES))
    ap.add_argument("--limit", type=int, default=400, help="requests per family (0: every test prompt)")
    ap.add_argument("--plot", type=Path, default=REPO / "benchmarks" / "audit" / "stream.png")
    ap.add_argument("--call-latency", type=float, default=CALL_LATENCY, help="seconds each replayed call takes")
    ap.add_argument("--concurrency", type=int, default=CONCURRENCY, help="requests in flight")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    families = {name: at.load_family(args.data, name, args.limit) for name in args.families}
    runs, spend = run_all(families, args.call_latency, args.concurrency)
    print(f"run: {time.perf_counter() - t0:.0f}s\n", file=sys.stderr)
    at.report(runs, spend, args.plot)


if __name__ == "__main__":
    main()
