"""Learning from live labels (issue 23, behaviour 5), measured through real proxies on recorded answers.

    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python -m benchmarks learning stream --latency 0.5

Each family of ../shared/data with recorded answers (RouterBench ARC, MBPP, Winogrande; MMLU-Pro), and then all of
them mixed, is replayed as a stream from traffic the shipped prior never saw: the classifier is retrained without
the family (scripts/train_router.py `text_keep`, as routing_generalisation.py: the IRT strengths still come from every
item), a real proxy runs with it (`LITELLM_FUSION_DIFFICULTY_MODEL`) beside a real redis-server, and the replay
upstream answers each call with the recorded answer after a fixed latency (tests/support/replay_upstream.py).
- Cascades: cascade_replay.py's core configurations (chosen on the family's train prompts), each twice, static and
  `learn: true` (labels: the audit service's acceptance labels); every prompt goes to both. Per window of 100
  prompts: cost, quality (recorded correctness of the returned answer), p50 latency, share with tier 1 skipped.
- Routed groups: the source's strong/weak pair (routing_generalisation.PAIRS), `learn: true`, `audit: {rate: 1.0}`,
  price weight 1 (every request goes to the weak deployment and is audited against the strong one: one label each).
  When the stream has given 200, 500 and 1,000 labels, the model the proxy published is read from Redis and scores
  the held-out prompts as the routing hook does (learning/policy.py): APGR beside the shipped router (the LOFO
  prior) and prompt length.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from tests.support import replay_data as rd
from tests.support.proxy_harness import ProxyProcess
from tests.support.redis_harness import RedisServer
from tests.support.replay_upstream import ReplayBook, replay_process

from ..harness.paths import DATA, REPO
from . import stream_report as report
from .stream_data import FAMILIES, PAIRS, Stream, load_stream, lofo_prior

LABELS_AT = (200, 500, 1000)
REDIS_TIMEOUT_MS = 2000
WINDOW = 100
CONCURRENCY = 8
LEARNING = {"explore": 0.05, "seed": 23, "refit_every": 20, "poll_s": 1.0}
WIRING = {"custom_provider_map": [{"provider": "fusion", "custom_handler": "litellm_fusion.fusion_handler"}]}
WIRING["callbacks"] = ["litellm_fusion.fusion_callbacks"]
JUDGE = "rt-judge"  # --judge: the routed group's audit judge (free-form answers), answered from the recorded scores


def deployment(name: str, url: str, price_in: float, price_out: float, strength: float | None, group: str = "") -> dict:
    info: dict = {"input_cost_per_token": price_in, "output_cost_per_token": price_out}
    info.update({"strength": strength} if strength is not None else {})
    params = {"model": f"openai/{name}", "api_base": url, "api_key": "replay"}
    return {"model_name": group or name, "litellm_params": params, "model_info": info}


def proxy_config(
    stream: Stream, url: str, redis_port: int, strengths: dict[str, float], judge: float | None = None
) -> dict:
    mp_prices = rd.mmlu_pro_prices()
    pool = sorted({m for c in stream.cascades for tier in c.tiers for m in tier})
    models = [deployment(m, url, *(mp_prices.get(m) or rd.rb_deployment_prices()), None) for m in pool]
    for i, c in enumerate(stream.cascades):
        params = c.litellm_params()
        models.append({"model_name": f"cascade/{i}/static", "litellm_params": params})
        models.append({"model_name": f"cascade/{i}/learn", "litellm_params": {**params, "learn": True}})
    for role, index in (("rt-strong", 0), ("rt-weak", 1)):
        srcs = sorted(set(stream.source.values()))
        price_in = sum(PAIRS[s][index][2] for s in srcs) / len(srcs)
        price_out = sum(PAIRS[s][index][3] for s in srcs) / len(srcs)
        strength = sum(strengths[PAIRS[s][index][1]] for s in srcs) / len(srcs)
        models.append(deployment(role, url, price_in, price_out, strength, group="route"))
        stream.strengths[f"openai/{role}"] = strength
    audit: dict = {"rate": 1.0}
    if judge is not None:  # the audit judge decides what the relation cannot (free-form answers, e.g. MBPP's code)
        models.append(deployment(JUDGE, url, 1e-6, 2e-6, None))
        audit["judge"] = JUDGE
    routing = {"route": {"mode": 1.0, "audit": audit, "learn": True}}
    return {
        "model_list": models,
        "router_settings": {"num_retries": 0, "timeout": 120, "redis_host": "127.0.0.1", "redis_port": redis_port},
        "litellm_settings": WIRING,
        "litellm_fusion": {
            "routing": routing,
            "learning": LEARNING,
            "audits": {"max_concurrent": 32, "max_pending": 4096, "timeout_ms": REDIS_TIMEOUT_MS},
            # Redis on loopback answers in well under a millisecond, but a 2-core machine running the proxy, the
            # replay and the client keeps the proxy's event loop busy: the default 100 ms bound expired and dropped
            # labels in trial runs. The bound is an operator's setting; here it must not decide the result.
            "judge_cache": {"timeout_ms": REDIS_TIMEOUT_MS},
        },
    }


def replay_book(streams: list[Stream]) -> ReplayBook:
    book = ReplayBook()
    for s in streams:
        for p in {p.key: p for p in s.cascade_items + s.route_items + s.held_out}.values():
            for m, a in p.answers.items():
                book.record(m, p.text, a.text, a.prompt_tokens, a.completion_tokens, a.score)
            for role, index in (("rt-strong", 0), ("rt-weak", 1)):
                a = p.answers[PAIRS[s.source[p.key]][index][0]]
                book.record(role, p.text, a.text, rd.tokens(len(p.text)), rd.tokens(len(a.text)), a.score)
    return book


async def run_cascades(client, stream: Stream) -> dict[str, list[report.Outcome]]:
    """Every prompt to each cascade, static and learning, side by side (CONCURRENCY prompts at once)."""
    sem = asyncio.Semaphore(CONCURRENCY)
    out: dict[str, list[report.Outcome]] = {}
    for i, c in enumerate(stream.cascades):
        deployments = [m for tier in c.tiers for m in tier]

        async def one(p: rd.Prompt, i: int = i, deployments: list[str] = deployments) -> list[report.Outcome]:
            async with sem:
                return await asyncio.gather(
                    *(report.ask(client, f"cascade/{i}/{v}", p, deployments) for v in ("static", "learn"))
                )

        pairs = await asyncio.gather(*(one(p) for p in stream.cascade_items))
        out[f"{c.name} | static"] = [a for a, _ in pairs]
        out[f"{c.name} | learn"] = [b for _, b in pairs]
    return out


async def run_routing(client, stream: Stream, redis: RedisServer) -> dict[int, dict]:
    """Stream the route items; the published model each time the label count first reaches LABELS_AT."""
    sem = asyncio.Semaphore(CONCURRENCY)
    snapshots: dict[int, dict] = {}
    raw = redis.client()
    prefix = "litellm_fusion:learn:{route}:"
    pending = [n for n in LABELS_AT]

    def take() -> None:
        count = int(raw.get(prefix + "count") or 0)
        model = raw.get(prefix + "model")
        while pending and count >= pending[0] and model:
            published = json.loads(model)
            if published["observed"] >= 0.9 * pending[0]:
                snapshots[pending.pop(0)] = published
            else:
                break

    async def one(p: rd.Prompt) -> None:
        async with sem:
            await client.chat.completions.create(model="route", messages=[{"role": "user", "content": p.text}])
            take()  # an error fails the run: every routed prompt has its recorded answers

    await asyncio.gather(*(one(p) for p in stream.route_items))
    deadline = time.monotonic() + 60
    while pending and time.monotonic() < deadline:  # the last audits and refits
        await asyncio.sleep(1.0)  # sleep-ok: a benchmark polling the proxy's background work
        take()
    last, count = json.loads(raw.get(prefix + "model") or "{}"), int(raw.get(prefix + "count") or 0)
    print(f"  {stream.name}: {count} labels; last model {last.get('version')} on {last.get('labels')}", file=sys.stderr)
    return snapshots


def run_stream(
    stream: Stream, url: str, cache: Path, work: Path, judge: float | None = None
) -> tuple[dict, dict, Path]:
    import openai

    artifact = lofo_prior(stream.families, cache)
    from litellm_fusion.routing.difficulty_model import DifficultyModel

    strengths = DifficultyModel.load(artifact).strengths
    (work / f"redis-{stream.name}").mkdir(parents=True, exist_ok=True)
    (work / f"proxy-{stream.name}").mkdir(parents=True, exist_ok=True)
    redis = RedisServer(work / f"redis-{stream.name}").start()
    try:
        config = proxy_config(stream, url, redis.port, strengths, judge)
        env = {"LITELLM_FUSION_DIFFICULTY_MODEL": str(artifact)}
        with ProxyProcess(config, work / f"proxy-{stream.name}", spend_log=False, env=env) as proxy:
            client = openai.AsyncOpenAI(base_url=proxy.base_url, api_key=proxy.master_key, max_retries=0, timeout=180)

            async def both() -> tuple[dict, dict]:
                t0 = time.perf_counter()
                cascades, snapshots = await run_cascades(client, stream), await run_routing(client, stream, redis)
                print(f"  {stream.name}: streamed in {time.perf_counter() - t0:.0f}s", file=sys.stderr)
                await client.close()
                return cascades, snapshots

            cascades, snapshots = asyncio.run(both())
        dropped = (work / f"proxy-{stream.name}" / "proxy.log").read_text(errors="replace").count("store unavailable")
        print(f"  {stream.name}: 'store unavailable' warnings in the proxy log: {dropped}", file=sys.stderr)
    finally:
        redis.stop()
    return cascades, snapshots, artifact


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--families", nargs="+", default=list(FAMILIES))
    ap.add_argument("--mixed", choices=("also", "no", "only"), default="also", help="the mixed stream")
    ap.add_argument("--limit", type=int, default=1000, help="cascade prompts per family (0: all)")
    ap.add_argument("--latency", type=float, default=0.2, help="seconds each replayed call takes")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "learning_stream_cache")
    ap.add_argument("--skip-below", type=float, help="learning.skip_below (default: the product's)")
    ap.add_argument(
        "--judge",
        type=float,
        metavar="ACCURACY",
        help="give the routed group an audit judge for free-form answers (MBPP's code then gives labels), answered "
        "from the recorded scores by a replay judge right this share of the time (e.g. 1.0, 0.8)",
    )
    ap.add_argument("--routing-only", action="store_true", help="stream the routed groups only (no cascades)")
    ap.add_argument("--dump", type=Path, help="write every outcome here (JSON)")
    ap.add_argument("--from-dump", type=Path, help="report a dump's outcomes (no proxy; the priors from the cache)")
    ap.add_argument("--plot-prefix", type=Path, default=REPO / "benchmarks" / "learning" / "stream")
    args = ap.parse_args(argv)
    if args.skip_below is not None:
        LEARNING["skip_below"] = args.skip_below
    t0 = time.perf_counter()
    streams = [load_stream(args.data, [f], args.limit) for f in args.families] if args.mixed != "only" else []
    if args.mixed != "no" and len(args.families) > 1:
        mixed = load_stream(args.data, args.families, args.limit)
        mixed.cascade_items, mixed.cascades = [], []  # the cascades are per family
        streams.append(mixed)
    for s in streams if args.routing_only else []:
        s.cascade_items, s.cascades = [], []
    work = Path(tempfile.mkdtemp(prefix="learning-stream-"))
    results = {}
    if args.from_dump:
        from litellm_fusion.routing.difficulty_model import DifficultyModel

        for s in streams:
            cascades, snaps = json.loads(args.from_dump.read_text())[s.name]
            artifact = lofo_prior(s.families, args.cache)
            proxy_config(s, "", 0, DifficultyModel.load(artifact).strengths)  # the routed deployments' strengths
            outcomes = {k: [report.Outcome(**o) for o in v] for k, v in cascades.items()}
            results[s.name] = (outcomes, {int(n): m for n, m in snaps.items()}, artifact)
    else:
        judge = (JUDGE, args.judge) if args.judge is not None else None
        with replay_process(replay_book(streams).save(work / "book.jsonl"), args.latency, judge) as url:
            for s in streams:
                print(f"{s.name}: {len(s.cascade_items)} cascade prompts, {len(s.route_items)} routed", file=sys.stderr)
                results[s.name] = run_stream(s, url, args.cache, work, args.judge)
    if args.dump:
        args.dump.write_text(json.dumps({k: (report.dump(c), snaps) for k, (c, snaps, _) in results.items()}))
    print(f"took {time.perf_counter() - t0:.0f}s\n", file=sys.stderr)
    report.report(streams, results, args.plot_prefix, args.latency)


if __name__ == "__main__":
    main()
