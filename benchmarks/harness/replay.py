"""The replay harness: recorded answers of real models (../shared/data) served through a real LiteLLM proxy.

A replay upstream answers each (deployment, prompt) with the answer that model really gave, and a proxy started
from the config the benchmark builds bills each call what the record says (RouterBench: its recorded cost, exactly;
MMLU-Pro: tokens x LiteLLM's cost-map price). The records are tests/support/replay_data.py's, the upstream is
tests/support/replay_upstream.py's (also used by the tests); this module is what a benchmark needs around them:

    from benchmarks.harness import replay

    splits = replay.load_splits(replay.DATA, ["rb/arc_challenge", "mmlu_pro"])   # pool, train and test prompts
    models = replay.deployments(splits[0].pool, url)                              # model_list entries, priced
    with replay.serve(prompts, lambda url: {"model_list": [...], ...}) as proxy:  # replay upstream + real proxy
        replies = asyncio.run(replay.ask_all(client, "some-model", prompts, deployments))

Each `Reply` says what LiteLLM billed (`x-litellm-response-cost`), which deployment's recorded answer came back
(`x-litellm-fusion-winner`, else the deployment whose recorded text it is), that answer's recorded score, and the
response headers. Used by the cascade benchmarks (cascade replay, shortfalls, agreement, sim, baselines).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.proxy_harness import ProxyProcess
from tests.support.replay_data import ALL_SPLITS, Prompt, Recorded, load_split, mmlu_pro_prices, rb_deployment_prices
from tests.support.replay_upstream import ReplayBook, replay_process

from .paths import DATA

__all__ = [
    "ALL_SPLITS",
    "DATA",
    "WIRING",
    "Prompt",
    "Recorded",
    "ReplaySplit",
    "Reply",
    "ask",
    "ask_all",
    "attribute",
    "book_of",
    "deployment",
    "deployments",
    "first_text",
    "load_split",
    "load_splits",
    "serve",
]

WIRING = {  # litellm_settings of a replay proxy: the plugin, nothing else (no Prometheus, no spend capture)
    "custom_provider_map": [{"provider": "fusion", "custom_handler": "litellm_fusion.fusion_handler"}],
    "callbacks": ["litellm_fusion.fusion_callbacks"],
}
CONCURRENCY = 16


# ---------------------------------------------------------------- records


@dataclass
class ReplaySplit:
    """One data split: the deployments recorded on it (`pool`) and its prompts that every one of them answered."""

    name: str
    pool: list[str]
    train: list[Prompt]
    test: list[Prompt]
    dropped: int  # test prompts without a recorded answer from every deployment of the pool


def load_splits(data: Path, names: Iterable[str]) -> list[ReplaySplit]:
    out = []
    for name in names:
        train, test = load_split(data, name, "train"), load_split(data, name, "test")
        pool = sorted({m for p in test + train for m in p.answers})
        complete = [p for p in test if p.complete(pool)]
        out.append(ReplaySplit(name, pool, [p for p in train if p.complete(pool)], complete, len(test) - len(complete)))
    return out


def first_text(raw: str) -> str:
    """RouterBench's CSV files store prompts and responses as Python-list strings: the first element."""
    import ast

    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return raw
    return str(value[0]) if isinstance(value, list) and value else str(value)


# ---------------------------------------------------------------- the proxy's config


def deployment(name: str, url: str, price_in: float, price_out: float, strength: float | None = None) -> dict:
    """A replayed deployment; `strength` (model_info.strength) is what the routing classifier compares."""
    info: dict[str, Any] = {"input_cost_per_token": price_in, "output_cost_per_token": price_out}
    if strength is not None:
        info["strength"] = strength
    return {
        "model_name": name,
        "litellm_params": {"model": f"openai/{name}", "api_base": url, "api_key": "replay"},
        "model_info": info,
    }


def deployments(names: Iterable[str], url: str, strengths: dict[str, float] | None = None) -> list[dict]:
    """Every named deployment, priced so that the proxy bills what the record says (replay_data's docstring)."""
    mp_prices = mmlu_pro_prices()
    strengths = strengths or {}
    return [
        deployment(m, url, *(mp_prices[m] if m in mp_prices else rb_deployment_prices()), strengths.get(m))
        for m in names
    ]


# ---------------------------------------------------------------- serving


def book_of(prompts: Iterable[Prompt]) -> ReplayBook:
    """Every recorded answer of these prompts, as the replay upstream serves them."""
    book = ReplayBook()
    for p in prompts:
        for m, a in p.answers.items():
            book.record(m, p.text, a.text, a.prompt_tokens, a.completion_tokens)
    return book


@contextmanager
def serve(
    prompts: Iterable[Prompt], config: Callable[[str], dict], workdir: Path | None = None
) -> Iterator[ProxyProcess]:
    """A replay upstream answering every recorded answer of `prompts` (a process of its own), and a real proxy
    started from `config(upstream_url)`; both stopped on exit."""
    work = workdir or Path(tempfile.mkdtemp(prefix="replay-"))
    with (
        replay_process(book_of(prompts).save(work / "book.jsonl")) as url,
        ProxyProcess(config(url), work, spend_log=False) as proxy,
    ):
        yield proxy


# ---------------------------------------------------------------- asking


@dataclass
class Reply:
    """One request through the proxy."""

    cost: float  # what LiteLLM billed (x-litellm-response-cost)
    score: float  # recorded score of the answer returned (0 when none is attributed)
    answered_by: str | None  # deployment whose recorded answer was returned
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def attribute(text: str, prompt: Prompt, deployments: Sequence[str]) -> str | None:
    """The deployment whose recorded answer is exactly `text` (first in `deployments` order)."""
    return next((m for m in deployments if prompt.answers[m].text == text), None)


async def ask(client: Any, model: str, prompt: Prompt, deployments: Sequence[str]) -> Reply:
    """Send the prompt as one user message through an `openai.AsyncOpenAI` client; errors are replies too."""
    try:
        raw = await client.chat.completions.with_raw_response.create(
            model=model, messages=[{"role": "user", "content": prompt.text}]
        )
    except Exception as exc:  # noqa: BLE001 - an error is an outcome to report, not a crash
        return Reply(0.0, 0.0, None, error=f"{type(exc).__name__}: {str(exc)[:200]}")
    reply = raw.parse()
    h = raw.headers
    text = reply.choices[0].message.content or ""
    by = h.get("x-litellm-fusion-winner") or attribute(text, prompt, deployments)
    mismatch = by is not None and prompt.answers[by].text != text
    return Reply(
        float(h.get("x-litellm-response-cost") or 0.0),
        prompt.answers[by].score if by else 0.0,
        by,
        {k.lower(): v for k, v in h.items()},
        error="returned text differs from the winner's recorded answer" if mismatch else None,
    )


async def ask_all(
    client: Any, model: str, prompts: Sequence[Prompt], deployments: Sequence[str], concurrency: int = CONCURRENCY
) -> list[Reply]:
    """Every prompt, `concurrency` at a time; replies in prompt order."""
    sem = asyncio.Semaphore(concurrency)

    async def one(p: Prompt) -> Reply:
        async with sem:
            return await ask(client, model, p, deployments)

    return await asyncio.gather(*(one(p) for p in prompts))
