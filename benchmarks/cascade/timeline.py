"""Where a cascade's time goes inside the proxy process: a timeline of each request's steps (issue 11, point 4).

The proxy runs with benchmarks/cascade/timeline_probe on its PYTHONPATH (a sitecustomize that stamps the handler, each
inner call in the engine, the Router call, the provider's HTTP request inside LiteLLM and LiteLLM's success logging
of each call); the same fake upstreams and cascades as latency.py, one request at a time. Each row is the
p50 (p90) over the requests of one step; *whose* says who spends that time.

    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python -m benchmarks cascade timeline               # ~1.5 minutes
    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python -m benchmarks cascade timeline --base main   # another version
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import tempfile
import time
from pathlib import Path

import openai

from tests.support.proxy_harness import ProxyProcess

from ..harness.paths import TEST_PLUGINS
from ..harness.processes import plugin_at, upstream_process
from ..harness.stats import pct
from .latency import ANSWER, LATENCY, config

PROBE = Path(__file__).resolve().parent / "timeline_probe"
Event = tuple[float, str, "str | None"]


async def drive(proxy: ProxyProcess, model: str, requests: int) -> list[float]:
    """Sequential requests (after a warm-up); the x-litellm-fusion-overhead-ms of each."""
    client = openai.AsyncOpenAI(base_url=proxy.base_url, api_key=proxy.master_key, max_retries=0, timeout=120)
    own = []
    for i in range(requests + 5):
        raw = await client.chat.completions.with_raw_response.create(
            model=model, messages=[{"role": "user", "content": f"Which option, A, B or C? ({i})"}]
        )
        if i >= 5:
            own.append(float(raw.headers["x-litellm-fusion-overhead-ms"]))
    await client.close()
    return own


def requests_of(events: list[Event]) -> list[list[Event]]:
    out: list[list[Event]] = []
    for event in sorted(events):
        if event[1] == "handler>":
            out.append([])
        if out:
            out[-1].append(event)
    return out


def steps(request: list[Event]) -> dict[str, float]:
    """Milliseconds of each step of one request."""

    def at(name: str, tag: str | None = None, nth: int = 0) -> float:
        return [t for t, n, g in request if n == name and (tag is None or g == tag)][nth]

    calls = {g: (at("call>", g), at("call<", g)) for _, n, g in request if n == "call>" and g}
    tier1 = sorted((v, m) for m, v in calls.items() if m != "strong")
    first, last = tier1[0][0][0], max(end for (_, end), _ in tier1)
    last_model = max(tier1, key=lambda item: item[0][1])[1]
    ms = {
        "ours: handler entry -> first call started": first - at("handler>"),
        "calls: tier 1, first call started -> last call ended": last - first,
        "  of which: 2nd call started after the 1st (the Router's synchronous work for the 1st)": tier1[1][0][0]
        - tier1[0][0][0],
        "  of which: provider HTTP request of the tier's last call": at("http<", last_model) - at("http>", last_model),
    }
    end = last
    if "strong" in calls:
        start2, end = calls["strong"]
        ms["ours: tier 1's last call ended -> tier 2's call started"] = start2 - last
        ms["calls: tier 2 (strong)"] = end - start2
        ms["  of which: LiteLLM before the HTTP request (Router, request building)"] = at("http>", "strong") - start2
        ms["  of which: provider HTTP request"] = at("http<", "strong") - at("http>", "strong")
        ms["  of which: LiteLLM after the HTTP response (response object, cost)"] = end - at("http<", "strong")
        logged = at("logging>", last_model)
        ms["LiteLLM logging of tier 1's last call ran before tier 2's call started (1 = yes)"] = float(logged < start2)
    ms["ours: last call ended -> handler returned"] = at("handler<") - end
    ms["LiteLLM success logging of one inner call (each)"] = [  # type: ignore[assignment]
        b - a
        for (a, n, g), (b, n2, g2) in zip(
            [e for e in request if e[1] == "logging>" and e[2] != "outer"],
            [e for e in request if e[1] == "logging<" and e[2] != "outer"],
        )
        if g == g2
    ]
    return {
        k: (v * 1000 if not k.endswith("(1 = yes)") else v) if not isinstance(v, list) else [x * 1000 for x in v]
        for k, v in ms.items()
    }


def table(model: str, own: list[float], per_request: list[dict[str, float]]) -> None:
    print(
        f"\n{model}: {len(per_request)} requests, x-litellm-fusion-overhead-ms p50 {pct(own, 0.5):.2f} "
        f"(p90 {pct(own, 0.9):.2f})\n"
    )
    print("| step | p50 ms | p90 ms |")
    print("|---|---|---|")
    for key in per_request[0]:
        values: list[float] = []
        for r in per_request:
            value = r.get(key)
            values.extend(value if isinstance(value, list) else [] if value is None else [value])
        if key.endswith("(1 = yes)"):
            print(f"| {key[: -len(' (1 = yes)')]} | {sum(values):.0f} of {len(values)} requests | |")
        elif values:
            print(f"| {key} | {pct(values, 0.5):.2f} | {pct(values, 0.9):.2f} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--base", help="run litellm_fusion as it was at this git revision instead of this checkout's")
    args = parser.parse_args(argv)
    if args.base:
        with plugin_at(args.base) as plugin:
            timelines(args.requests, [plugin])
    else:
        timelines(args.requests, [])


def timelines(requests: int, plugin: list[Path]) -> None:
    behaviours = {name: {"text": ANSWER[name], "latency": latency} for name, latency in LATENCY.items()}
    for model in ("cascade-accepts", "cascade-escalates"):
        out = Path(tempfile.mkdtemp()) / "timeline.jsonl"
        path = [str(PROBE), *map(str, plugin), str(TEST_PLUGINS)]
        env = {"PYTHONPATH": os.pathsep.join(path), "FUSION_TIMELINE": str(out)}
        with (
            upstream_process(behaviours) as url,
            ProxyProcess(config(url), out.parent, spend_log=False, env=env) as proxy,
        ):
            own = asyncio.run(drive(proxy, model, requests))
            assert proxy.proc is not None
            os.kill(proxy.proc.pid, signal.SIGUSR1)
            deadline = time.monotonic() + 10
            while not out.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)  # the file is written in one go; let it finish
        events = [tuple(json.loads(line)) for line in out.read_text().splitlines()]
        table(model, own, [steps(r) for r in requests_of(events)[5:]])  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
