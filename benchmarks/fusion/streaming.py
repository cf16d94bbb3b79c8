"""Time to first token and to last token of every mode, streamed and not, through a real LiteLLM proxy, against the
floor the upstreams allow.

Fake upstreams (their own process) answer at a fixed token rate: a first token after `TTFT` seconds, then one
token (4 characters) every `INTERVAL` seconds; a non-streamed reply arrives when its last token would have.
Panel members are called without streaming (their whole answers are needed), so the floor of each case is:

- merge:   slowest member's whole answer + the judge's first token (last token: + the judge's whole answer)
- debate:  2 rounds of whole member answers + the judge's first token
- best-of: the members' whole answers + the whole verdict; the chosen answer then goes out at once
- best-of, members agree: the members' whole answers (no judge)
- cascade accepted at tier 1: tier 1's whole answers; escalated: + the last tier's first token (it streams)
- plain:   one deployment streamed directly through the same proxy (LiteLLM alone, for reference)

The client-side times include LiteLLM's own work per call (the proxy leg, each inner call through the Router,
logging): the `strong` rows show it for one call. The plugin's own share is read from each request's spend row:
`first_token_overhead_ms` (streamed: time to the first text minus what the inner calls account for before it,
panel and the judge's own time to first token included) and `overhead_ms` (not streamed: whole request).

    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python -m benchmarks fusion streaming [--n 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import openai

from tests.support.proxy_harness import ProxyProcess, fake_deployment

from ..harness.processes import upstream_process
from ..harness.stats import pct

INTERVAL = 0.01  # seconds per token (100 tokens/s)
TTFT = {"p1": 0.25, "p2": 0.25, "q1": 0.25, "q2": 0.25, "judge": 0.20, "verdict": 0.20, "strong": 0.30}
WORDS = [
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
    "incididunt",
    "ut",
    "labore",
]


def text(tokens: int, seed: int) -> str:
    return "".join(f"{WORDS[(seed + i) % len(WORDS)][:3]} " for i in range(tokens))  # 4 characters a token


ANSWERS = {
    "p1": text(40, 0),
    "p2": text(40, 5),
    "q1": "The answer is 42.",
    "q2": "The answer is 42.",
    "judge": text(60, 9),
    "verdict": json.dumps({"winner": 2, "reason": "fuller"}),
    "strong": text(50, 3),
}


def whole(model: str) -> float:
    """Seconds until a model's whole answer is written."""
    chunks = -(-len(ANSWERS[model]) // 4)
    return TTFT[model] + INTERVAL * (chunks - 1)


PANEL_P = max(whole("p1"), whole("p2"))
PANEL_Q = max(whole("q1"), whole("q2"))
CASES: dict[str, tuple[float, float]] = {  # model: (floor of the first token, floor of the last token)
    "fusion/merge": (PANEL_P + TTFT["judge"], PANEL_P + whole("judge")),
    "fusion/debate": (2 * PANEL_P + TTFT["judge"], 2 * PANEL_P + whole("judge")),
    "fusion/best-of": (PANEL_P + whole("verdict"), PANEL_P + whole("verdict")),
    "fusion/best-of-agree": (PANEL_Q, PANEL_Q),
    "fusion/cascade-accept": (PANEL_Q, PANEL_Q),
    "fusion/cascade-escalate": (PANEL_P + TTFT["strong"], PANEL_P + whole("strong")),
    "strong": (TTFT["strong"], whole("strong")),
}


def config(url: str) -> dict[str, Any]:
    fusion = {
        "fusion/merge": {"mode": "merge", "panel": ["p1", "p2"], "judge": "judge"},
        "fusion/debate": {"mode": "debate", "panel": ["p1", "p2"], "judge": "judge", "rounds": 2},
        "fusion/best-of": {"mode": "best-of", "panel": ["p1", "p2"], "judge": "verdict"},
        "fusion/best-of-agree": {"mode": "best-of", "panel": ["q1", "q2"], "judge": "verdict"},
        "fusion/cascade-accept": {"mode": "cascade", "tiers": [["q1", "q2"], ["strong"]]},
        "fusion/cascade-escalate": {"mode": "cascade", "tiers": [["p1", "p2"], ["strong"]]},
    }
    return {
        "model_list": [fake_deployment(m, url, 1e-6, 2e-6) for m in TTFT]
        + [{"model_name": name, "litellm_params": {"model": name, **opts}} for name, opts in fusion.items()],
        "router_settings": {"num_retries": 0},
        "litellm_settings": {
            "custom_provider_map": [{"provider": "fusion", "custom_handler": "litellm_fusion.fusion_handler"}],
            "callbacks": ["litellm_fusion.fusion_callbacks", "spend_capture.capture"],
        },
    }


async def one(client: openai.AsyncOpenAI, model: str, stream: bool, i: int) -> tuple[float, float]:
    """(seconds to the first content, seconds to the end) of one request."""
    messages = [{"role": "user", "content": f"question {i}"}]
    start = time.perf_counter()
    if not stream:
        await client.chat.completions.create(model=model, messages=messages)
        end = time.perf_counter() - start
        return end, end
    first = None
    async for chunk in await client.chat.completions.create(model=model, messages=messages, stream=True):
        if first is None and chunk.choices and chunk.choices[0].delta.content:
            first = time.perf_counter() - start
    end = time.perf_counter() - start
    return (first if first is not None else end), end


async def measure(proxy: ProxyProcess, n: int) -> list[dict[str, Any]]:
    client = openai.AsyncOpenAI(base_url=proxy.base_url, api_key=proxy.master_key, max_retries=0, timeout=60)
    rows = []
    try:
        for model, (floor_first, floor_last) in CASES.items():
            for stream in (True, False):
                await one(client, model, stream, -1)  # warm-up
                times = [await one(client, model, stream, i) for i in range(n)]  # concurrency 1
                firsts, lasts = [t[0] for t in times], [t[1] for t in times]
                rows.append(
                    {
                        "model": model,
                        "stream": stream,
                        "floor_first": floor_first,
                        "floor_last": floor_last,
                        "first_p50": pct(firsts, 0.5),
                        "first_p95": pct(firsts, 0.95),
                        "last_p50": pct(lasts, 0.5),
                        "last_p95": pct(lasts, 0.95),
                    }
                )
    finally:
        await client.close()
    return rows


def own_overheads(proxy: ProxyProcess) -> dict[tuple[str, bool], list[float]]:
    """The plugin's own ms per request, from the spend rows: (model, streamed) -> values."""
    out: dict[tuple[str, bool], list[float]] = {}
    for row in proxy.spend_rows():
        metadata = row["metadata"] if isinstance(row["metadata"], dict) else json.loads(row["metadata"])
        fusion = (metadata.get("spend_logs_metadata") or {}).get("fusion")
        if not isinstance(fusion, dict):
            continue
        streamed = "first_token_overhead_ms" in fusion
        value = fusion["first_token_overhead_ms"] if streamed else fusion.get("overhead_ms")
        if value is not None:
            out.setdefault((row["model_group"], streamed), []).append(float(value))
    return out


def table(rows: list[dict[str, Any]], own: dict[tuple[str, bool], list[float]]) -> str:
    ms = lambda s: f"{s * 1000:.0f}"
    lines = [
        (
            "| model | streamed | first token p50 / p95 (ms) | floor | p50 over floor | plugin's own to first token "
            "p50 / p95 (ms) | last token p50 / p95 (ms) | floor | p50 over floor |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        mine = own.get((r["model"], r["stream"]), [])
        own_text = f"{pct(mine, 0.5):.1f} / {pct(mine, 0.95):.1f}" if mine else "(plain LiteLLM)"
        lines.append(
            f"| {r['model']} | {'yes' if r['stream'] else 'no'} | {ms(r['first_p50'])} / {ms(r['first_p95'])} | "
            f"{ms(r['floor_first'] if r['stream'] else r['floor_last'])} | "
            f"{(r['first_p50'] - (r['floor_first'] if r['stream'] else r['floor_last'])) * 1000:+.0f} | {own_text} | "
            f"{ms(r['last_p50'])} / {ms(r['last_p95'])} | {ms(r['floor_last'])} | "
            f"{(r['last_p50'] - r['floor_last']) * 1000:+.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20, help="requests per case (concurrency 1)")
    args = parser.parse_args(argv)
    behaviours = {
        m: {
            "text": ANSWERS[m],
            "latency": TTFT[m],
            "stream_interval": INTERVAL,
            "stream_chunk_chars": 4,
            "prompt_tokens": 20,
            "completion_tokens": 40,
        }
        for m in TTFT
    }
    with upstream_process(behaviours) as url, ProxyProcess(config(url), Path(tempfile.mkdtemp())) as proxy:
        rows = asyncio.run(measure(proxy, args.n))
        time.sleep(2)  # sleep-ok: a benchmark's last spend rows are written asynchronously
        own = own_overheads(proxy)
    print(
        f"fake upstreams: first token after {TTFT} s, then {1 / INTERVAL:.0f} tokens/s; {args.n} requests per case, "
        "concurrency 1\n"
    )
    print(table(rows, own))


if __name__ == "__main__":
    main()
