"""Tables and plots of benchmarks/learning_stream.py: cascades per window of 100 prompts (learning beside static),
and the routed group's APGR after 200, 500 and 1,000 labels beside the shipped router and prompt length."""

from __future__ import annotations

import json
import math
import os
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tests.support import replay_data as rd

REPO = Path(__file__).resolve().parents[2]
WINDOW = 100


@dataclass
class Outcome:
    latency: float  # seconds, as the client saw it
    cost: float  # x-litellm-response-cost
    score: float  # recorded correctness of the returned answer
    tier: int
    skipped: bool  # the learned model skipped a tier
    explored: bool
    error: str | None = None


async def ask(client: Any, model: str, prompt: rd.Prompt, deployments: list[str]) -> Outcome:
    started = time.perf_counter()
    try:
        raw = await client.chat.completions.with_raw_response.create(
            model=model, messages=[{"role": "user", "content": prompt.text}]
        )
    except Exception as exc:  # noqa: BLE001 - an error is an outcome to report
        return Outcome(time.perf_counter() - started, 0.0, 0.0, 0, False, False, f"{type(exc).__name__}: {exc}"[:200])
    latency = time.perf_counter() - started
    h = raw.headers
    text = raw.parse().choices[0].message.content or ""
    by = h.get("x-litellm-fusion-winner") or next((m for m in deployments if prompt.answers[m].text == text), None)
    learning = h.get("x-litellm-fusion-learning") or ""
    return Outcome(
        latency,
        float(h.get("x-litellm-response-cost") or 0.0),
        prompt.answers[by].score if by else 0.0,
        int(h.get("x-litellm-fusion-tier") or 0),
        "skipped tier" in learning,
        "explored" in learning,
    )


def dump(cascades: dict[str, list[Outcome]]) -> dict[str, list[dict]]:
    return {k: [asdict(o) for o in v] for k, v in cascades.items()}


def p50(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# ---------------------------------------------------------------- cascades
def cascade_tables(name: str, cascades: dict[str, list[Outcome]]) -> list[dict]:
    rows = []
    for label in sorted({k.rsplit(" | ", 1)[0] for k in cascades}):
        static, learn = cascades[f"{label} | static"], cascades[f"{label} | learn"]
        n = len(static)
        escalated = sum(o.tier > 1 for o in static) / n
        errors = sum(o.error is not None for o in static + learn)
        print(f"\n#### {name}: cascade {label}\n")
        print(
            f"{n} prompts; static: tier 1 escalates on {escalated:.0%}; {errors} errors. Per window of {WINDOW} "
            "prompts (static → learning):\n"
        )
        print("| window | cost $ | quality | p50 latency s | a tier skipped | explored |")
        print("|---|---|---|---|---|---|")
        for w in range(0, n, WINDOW):
            s, l = static[w : w + WINDOW], learn[w : w + WINDOW]
            print(
                f"| {w // WINDOW + 1} | {sum(o.cost for o in s):.4f} → {sum(o.cost for o in l):.4f} | "
                f"{statistics.fmean(o.score for o in s):.3f} → {statistics.fmean(o.score for o in l):.3f} | "
                f"{p50([o.latency for o in s]):.2f} → {p50([o.latency for o in l]):.2f} | "
                f"{sum(o.skipped for o in l) / len(l):.0%} | {sum(o.explored for o in l) / len(l):.0%} |"
            )
        after = slice(WINDOW, None) if n > WINDOW else slice(0, None)
        ps, pl = p50([o.latency for o in static[after]]), p50([o.latency for o in learn[after]])
        row = {
            "stream": name,
            "cascade": label,
            "n": n,
            "escalates": escalated,
            "cost": (sum(o.cost for o in static), sum(o.cost for o in learn)),
            "quality": (statistics.fmean(o.score for o in static), statistics.fmean(o.score for o in learn)),
            "p50_after_first_window": (ps, pl),
            "skipped": sum(o.skipped for o in learn) / n,
            "windows": [
                (p50([o.latency for o in static[w : w + WINDOW]]), p50([o.latency for o in learn[w : w + WINDOW]]))
                for w in range(0, n, WINDOW)
            ],
        }
        print(
            f"\nWhole stream: cost ${row['cost'][0]:.4f} → ${row['cost'][1]:.4f}, quality {row['quality'][0]:.3f} → "
            f"{row['quality'][1]:.3f}; after the first window p50 {ps:.2f} s → {pl:.2f} s ({pl / ps - 1:+.0%})"
        )
        rows.append(row)
    return rows


# ---------------------------------------------------------------- routed group
def route_apgr(stream: Any, snapshots: dict[int, dict], artifact: Path) -> list[dict[str, Any]]:
    """Per snapshot: APGR of the learned model, the shipped router and prompt length on the held-out prompts
    (family-weighted), the AUC of the learned agreement against the pairs' actual agreement, and the APGR of
    ranking by that actual disagreement (what perfectly predicted labels would give)."""
    import asyncio

    import numpy as np

    from benchmarks.routing.generalisation import curve_metrics
    from litellm_fusion.engine.answers import compare_replies
    from litellm_fusion.engine.records import Candidate
    from litellm_fusion.learning.features import features_of
    from litellm_fusion.learning.learner import View
    from litellm_fusion.learning.model import LearnedModel
    from litellm_fusion.learning.policy import routing_success
    from litellm_fusion.learning.priors import RoutingPrior
    from litellm_fusion.routing.difficulty_model import DifficultyModel

    prior_model = DifficultyModel.load(artifact)
    strengths = stream.strengths
    prior = RoutingPrior(strengths, "openai/rt-strong")
    items = stream.held_out
    feats = [features_of([{"role": "user", "content": p.text}], prior_model) for p in items]
    gains, fam, pairs = [], [], []
    for p in items:
        strong, weak = (pair[0] for pair in _pair(stream, p))
        gains.append(p.answers[strong].score - p.answers[weak].score)
        fam.append(p.split)
        pairs.append((Candidate(0, weak, p.answers[weak].text), Candidate(1, strong, p.answers[strong].text)))
    counts = {f: fam.count(f) for f in set(fam)}
    weights = np.array([[1.0 / counts[f] for f in fam]])

    async def compared() -> list[str]:
        return [(await compare_replies(a, b)).outcome for a, b in pairs]

    outcome = asyncio.run(compared())

    def apgr(scores: list[float]) -> float:
        return float(curve_metrics(np.asarray(scores, float), np.asarray(gains, float), weights)[0][0])

    s_top, s_weak = strengths["openai/rt-strong"], strengths["openai/rt-weak"]
    p_top = [f.estimate.p_success(s_top) for f in feats]
    base = {
        "shipped": apgr([pt - f.estimate.p_success(s_weak) for pt, f in zip(p_top, feats)]),
        "length": apgr([float(len(p.text)) for p in items]),
        "disagreement": apgr([{"agree": 0.0, "disagree": 1.0}.get(o, 0.5) for o in outcome]),
    }
    out = []
    for n, raw in sorted(snapshots.items()):
        model = LearnedModel.decode(json.dumps(raw))
        view = View(model, model.observed, "learned")
        learned = [pt - routing_success(view, f, prior).get("openai/rt-weak", pt) for pt, f in zip(p_top, feats)]
        arm = model.arms["openai/rt-weak"]
        agree = [
            (arm.predict(f, prior.offset("openai/rt-weak", f)), o) for f, o in zip(feats, outcome) if o != "undecided"
        ]
        label = f"{n} (v{model.version}, {model.labels})"
        out.append({"labels": label, "n": n, "learned": apgr(learned), "auc": _auc(agree), **base})
    return out or [{"labels": "no labels", "n": 0, "learned": float("nan"), "auc": float("nan"), **base}]


def _auc(scored: list[tuple[float, str]]) -> float:
    """P(an agreeing pair is predicted to agree more than a disagreeing one), ties half."""
    pos = [p for p, o in scored if o == "agree"]
    neg = [p for p, o in scored if o == "disagree"]
    if not pos or not neg:
        return float("nan")
    wins = sum((a > b) + 0.5 * (a == b) for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


def _pair(stream: Any, p: rd.Prompt) -> tuple[tuple[str, ...], tuple[str, ...]]:
    from benchmarks.learning.stream_data import PAIRS

    strong, weak = PAIRS[stream.source[p.key]]
    return strong, weak


# ---------------------------------------------------------------- report
def report(streams: list[Any], results: dict, plot_prefix: Path, latency: float) -> None:
    print(f"## Learning from live labels (issue 23): replayed streams, {latency:g} s per replayed call\n")
    cascade_rows, route_rows = [], {}
    for s in streams:
        cascades, snapshots, artifact = results[s.name]
        if cascades:
            print(f"### {s.name}: cascades ({len(s.cascade_items)} prompts, prior without {', '.join(s.families)})")
            cascade_rows += cascade_tables(s.name, cascades)
        route_rows[s.name] = route_apgr(s, snapshots, artifact)
    print("\n### Routed groups: APGR on held-out prompts after N labels (family-weighted)\n")
    print(
        "| stream | held out | labels (model, fitted on) | learned | shipped router (LOFO) | prompt length | "
        "AUC of the learned agreement | ranked by actual disagreement |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for s in streams:
        for r in route_rows[s.name]:
            print(
                f"| {s.name} | {len(s.held_out)} | {r['labels']} | {r['learned']:.3f} | {r['shipped']:.3f} | "
                f"{r['length']:.3f} | {r['auc']:.3f} | {r['disagreement']:.3f} |"
            )
    plot(cascade_rows, route_rows, plot_prefix)


def plot(cascade_rows: list[dict], route_rows: dict, prefix: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if cascade_rows:
        cols = min(3, len(cascade_rows))
        rows = math.ceil(len(cascade_rows) / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.6 * rows), squeeze=False)
        for ax, row in zip([a for line in axes for a in line], cascade_rows):
            xs = range(1, len(row["windows"]) + 1)
            ax.plot(xs, [s for s, _ in row["windows"]], "o-", color="grey", label="static")
            ax.plot(xs, [lrn for _, lrn in row["windows"]], "o-", color="C2", label="learning")
            ax.set_title(f"{row['stream']}: {row['cascade']}"[:60], fontsize=7)
            ax.set_xlabel(f"window of {WINDOW} prompts")
            ax.set_ylabel("p50 latency, s")
            ax.set_ylim(bottom=0)
        for ax in [a for line in axes for a in line][len(cascade_rows) :]:
            ax.axis("off")
        axes[0][0].legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(f"{prefix}_cascades.png", dpi=100)
        print(f"\nplot: {os.path.relpath(f'{prefix}_cascades.png', REPO)}")
    fig, ax = plt.subplots(figsize=(6, 4))
    for i, (name, rows_) in enumerate(route_rows.items()):
        pts = [(r["n"], r["learned"]) for r in rows_ if r["n"]]
        if pts:
            ax.plot([n for n, _ in pts], [a for _, a in pts], "o-", color=f"C{i}", label=f"{name}: learned")
        ax.axhline(rows_[0]["shipped"], color=f"C{i}", ls="--", lw=0.8, label=f"{name}: shipped router")
        ax.axhline(rows_[0]["length"], color=f"C{i}", ls=":", lw=0.8, label=f"{name}: prompt length")
    ax.axhline(0.70, color="black", lw=0.6)
    ax.set_xlabel("labels")
    ax.set_ylabel("APGR, held-out prompts")
    ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(f"{prefix}_routing.png", dpi=100)
    print(f"plot: {os.path.relpath(f'{prefix}_routing.png', REPO)}")
