"""The families, the truth and the report of benchmarks/audit_stream.py.

Truth of "the accepted answer agrees with the last tier's", from recorded correctness:
- both answers right: agree (there is one right answer); one right, one wrong: disagree;
- both wrong: agree on Winogrande (two options: the same wrong one), unknown on ARC-Challenge and MBPP (left out);
- MMLU-Pro: the two models' recorded extracted letters (`pred`): the same letter is agreement.
"""

from __future__ import annotations

import asyncio
import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litellm_fusion.engine.answers import compare_replies
from litellm_fusion.engine.audit import Tally
from litellm_fusion.engine.records import Candidate
from tests.support import replay_data as rd
from tests.support.helpers import metric_sum

from .plot import plot_runs

RB_SHAPE = (["rb-gpt-3.5", "rb-claude-instant"], "rb-gpt-4")
FAMILIES: dict[str, tuple[list[str], str]] = {
    "rb/arc_challenge": RB_SHAPE,
    "rb/winograde": RB_SHAPE,
    "rb/mbpp": RB_SHAPE,
    "mmlu_pro": (["mp-gemini-flash", "mp-llama-70b"], "mp-gpt-4o"),
}
TARGET = 0.03


@dataclass
class Family:
    name: str
    cheap: list[str]
    top: str
    prompts: list[rd.Prompt]
    preds: dict[str, dict[str, str]] = field(default_factory=dict)  # MMLU-Pro: question id -> deployment -> letter

    @property
    def models(self) -> list[str]:
        return [*self.cheap, self.top]

    def by_key(self) -> dict[str, rd.Prompt]:
        return {p.key: p for p in self.prompts}

    def truth(self, p: rd.Prompt, winner: str) -> bool | None:
        if self.preds:
            a, b = self.preds.get(p.key, {}).get(winner), self.preds.get(p.key, {}).get(self.top)
            return None if not a or not b else a == b
        right_w, right_t = p.answers[winner].score >= 0.5, p.answers[self.top].score >= 0.5
        if right_w != right_t:
            return False
        if right_w:
            return True
        return True if self.name == "rb/winograde" else None


def load_family(data: Path, name: str, limit: int) -> Family:
    cheap, top = FAMILIES[name]
    prompts = [p for p in rd.load_split(data, name, "test") if p.complete([*cheap, top])]
    family = Family(name, cheap, top, prompts[:limit] if limit else prompts)
    if name == "mmlu_pro":
        names = {key: deployment for key, (deployment, _, _) in rd.MMLU_PRO_PRICES.items()}
        wanted = {p.key for p in family.prompts}
        with open(data / "mmlu_pro" / "outcomes.jsonl", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                if str(row["question_id"]) in wanted:
                    family.preds[str(row["question_id"])] = {
                        names[k]: (v or {}).get("pred") or "" for k, v in row.items() if k in names
                    }
    return family


@dataclass(frozen=True)
class Reply:
    key: str
    latency: float
    tier: int
    winner: str | None
    sampled: bool
    cost: float


@dataclass
class Window:
    rate0: list[Reply]
    audited: list[Reply]  # the rate-0.2 copy's replies
    tally: Tally  # the shared estimate after this window's audits (cumulative)


@dataclass
class Run:
    name: str
    family: Family
    windows: list[Window] = field(default_factory=list)


@dataclass
class Spend:
    rows: list[dict[str, Any]]
    metrics: str
    audited_models: list[str]

    @classmethod
    def read(cls, proxy: Any, audited_models: list[str]) -> Spend:
        rows = proxy.spend_rows()
        for row in rows:
            if isinstance(row.get("request_tags"), str):
                row["request_tags"] = json.loads(row["request_tags"])
        return cls(rows, proxy.metrics(), audited_models)

    def audit_rows(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if "fusion-audit" in (r.get("request_tags") or [])]


def expected_cost(f: Family, p: rd.Prompt, tier: int) -> float:
    return sum(p.answers[m].cost for m in f.cheap) + (p.answers[f.top].cost if tier == 2 else 0.0)


def p50_ms(replies: list[Reply]) -> float:
    return statistics.median(r.latency for r in replies) * 1000


async def _outcome(f: Family, p: rd.Prompt, winner: str) -> str:
    found = await compare_replies(
        Candidate(0, winner, p.answers[winner].text), Candidate(0, f.top, p.answers[f.top].text)
    )
    return found.outcome


def window_rows(run: Run) -> list[dict[str, Any]]:
    """Cumulative figures after each window."""
    f, prompts = run.family, run.family.by_key()
    rows, accepted, outcomes = [], [], {}
    for i, w in enumerate(run.windows):
        for r in w.audited:
            if r.tier == 1 and r.winner:
                accepted.append(r)
                if r.sampled:
                    outcomes[r.key] = asyncio.run(_outcome(f, prompts[r.key], r.winner))
        decided = [r for r in accepted if r.sampled and outcomes[r.key] != "undecided"]
        known = [t for r in decided if (t := f.truth(prompts[r.key], r.winner)) is not None]
        everyone = [t for r in accepted if (t := f.truth(prompts[r.key], r.winner)) is not None]
        found = w.tally.agreement()
        offline = (
            sum(outcomes[r.key] == "agree" for r in decided),
            sum(outcomes[r.key] == "disagree" for r in decided),
        )
        truth_audited = sum(known) / len(known) if known else None
        truth_all = sum(everyone) / len(everyone) if everyone else None
        rows.append(
            {
                "window": i + 1,
                "requests": sum(len(x.audited) for x in run.windows[: i + 1]),
                "accepted": len(accepted),
                "audits": sum(1 for r in accepted if r.sampled),
                "decided": w.tally.decided,
                "consistent": offline == (w.tally.agree, w.tally.disagree),
                "estimate": found,
                "truth_audited": truth_audited,
                "diff": None if found is None or truth_audited is None else abs(found.rate - truth_audited),
                "truth_all": truth_all,
                "covered": None if found is None or truth_all is None else found.low <= truth_all <= found.high,
                "p50_0": p50_ms(w.rate0),
                "p50_r": p50_ms(w.audited),
            }
        )
    return rows


def sampling_check(run: Run, scopes: int = 200) -> str | None:
    """The audited share is fixed per scope name (a hash of the request): how the interval does over many scope
    names, on this run's accepted requests and their truth (the product's sampling function, no proxy)."""
    from litellm_fusion.engine.audit import is_sampled, wilson

    prompts = run.family.by_key()
    accepted = [
        (prompts[r.key], t)
        for w in run.windows
        for r in w.audited
        if r.tier == 1 and r.winner and (t := run.family.truth(prompts[r.key], r.winner)) is not None
    ]
    if not accepted:
        return None
    population = sum(t for _, t in accepted) / len(accepted)
    rates, covered = [], 0
    for k in range(scopes):
        sample = [t for p, t in accepted if is_sampled(f"scope-{k}", [{"role": "user", "content": p.text}], 0.2)]
        if not sample:
            continue
        low, high = wilson(sum(sample), len(sample))
        rates.append(sum(sample) / len(sample))
        covered += low <= population <= high
    rates.sort()
    lo, hi = rates[int(0.025 * len(rates))], rates[int(0.975 * len(rates)) - 1]
    return (
        f"| {run.name} | {len(accepted)} | {population:.3f} | {statistics.fmean(rates):.3f} | {lo:.3f} .. {hi:.3f} | "
        f"{covered}/{len(rates)} |"
    )


def fmt(value: float | None, spec: str = ".3f") -> str:
    return "-" if value is None else format(value, spec)


def spend_lines(runs: list[Run], spend: Spend) -> list[str]:
    mismatched = replies = 0
    audit_expected, audits = 0.0, 0
    for run in runs:
        prompts = run.family.by_key()
        for w in run.windows:
            for r in [*w.rate0, *w.audited]:
                replies += 1
                want = expected_cost(run.family, prompts[r.key], r.tier)
                mismatched += abs(r.cost - want) > 1e-9 * max(want, 1e-12) + 1e-15
                if r in w.audited and r.tier == 1 and r.sampled:
                    audits += 1
                    audit_expected += prompts[r.key].answers[run.family.top].cost
    rows = spend.audit_rows()
    audit_rows = sum(float(r["spend"]) for r in rows)
    ours = sum(metric_sum(spend.metrics, "litellm_fusion_audit_cost_total", model=m) for m in spend.audited_models)
    litellm_total = metric_sum(spend.metrics, "litellm_spend_metric_total")
    all_rows = sum(float(r["spend"]) for r in spend.rows)
    return [
        (
            f"- reply cost header = the reply's own calls (recorded costs), never the audit: {replies - mismatched} of "
            f"{replies} replies ({mismatched} differ)"
        ),
        (
            f"- audits made: {audits}; spend rows tagged fusion-audit: {len(rows)}, ${audit_rows:.6f} (recorded cost "
            f"of the audits' last-tier calls: ${audit_expected:.6f}; difference {audit_rows - audit_expected:.2e})"
        ),
        f"- litellm_fusion_audit_cost_total: ${ours:.6f} (= the audit rows: difference {ours - audit_rows:.2e})",
        (
            f"- LiteLLM's litellm_spend_metric_total ${litellm_total:.6f} vs every spend row ${all_rows:.6f} "
            f"(difference {litellm_total - all_rows:.2e}): each audit dollar counted once"
        ),
    ]


def report(runs: list[Run], spend: Spend, plot: Path) -> None:
    print("## Live audits on replayed streams (issue 23)\n")
    summary = []
    tables: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        rows = tables[run.name] = window_rows(run)
        f = run.family
        print(f"### {run.name}: [{', '.join(f.cheap)}] -> [{f.top}], audit rate {0.2:g}\n")
        print(
            "| after request | accepted at tier 1 | audits | decided | estimate [95% interval] | truth (audited) | "
            "abs. diff | truth (all accepted) | covered | p50 ms rate 0 | p50 ms rate 0.2 |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            e = r["estimate"]
            est = "-" if e is None else f"{e.rate:.3f} [{e.low:.3f}, {e.high:.3f}]"
            print(
                f"| {r['requests']} | {r['accepted']} | {r['audits']} | {r['decided']} | {est} | "
                f"{fmt(r['truth_audited'])} | {fmt(r['diff'])} | {fmt(r['truth_all'])} | "
                f"{'-' if r['covered'] is None else 'yes' if r['covered'] else 'NO'} | {r['p50_0']:.1f} | {r['p50_r']:.1f} |"
            )
        print()
        rate0 = [x for w in run.windows for x in w.rate0]
        rated = [x for w in run.windows for x in w.audited]
        diffs = [r["p50_r"] - r["p50_0"] for r in rows]
        last = rows[-1]
        covered = [r["covered"] for r in rows if r["covered"] is not None]
        summary.append(
            f"| {run.name} | {len(rated)} | {last['audits']} | {fmt(last['estimate'].rate if last['estimate'] else None)} | "
            f"{fmt(last['truth_audited'])} | {fmt(last['diff'])} {'(ok)' if last['diff'] is not None and last['diff'] <= TARGET else ''} | "
            f"{sum(covered)}/{len(covered)} | {'yes' if all(r['consistent'] for r in rows) else 'NO'} | "
            f"{p50_ms(rate0):.1f} / {p50_ms(rated):.1f} | {fmt(min(diffs), '+.1f') if diffs else '-'} .. {fmt(max(diffs), '+.1f') if diffs else '-'} |"
        )
    paired = [r["p50_r"] - r["p50_0"] for rows in tables.values() for r in rows]
    mean = statistics.fmean(paired)
    half = 1.96 * statistics.stdev(paired) / len(paired) ** 0.5 if len(paired) > 1 else float("nan")
    print("### Summary\n")
    print(
        "| family | requests | audits | estimate | truth (audited) | abs. diff (target <= 0.03) | windows covered | "
        "proxy counts = relation offline | p50 ms rate 0 / 0.2 | per-window p50 diff ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(summary) + "\n")
    print(
        f"Latency, every window of every family: p50 at rate 0.2 minus p50 at rate 0 = {mean:+.1f} ms on average "
        f"(95% interval {mean - half:+.1f} .. {mean + half:+.1f} ms over {len(paired)} windows; windows alternate "
        "which copy runs first).\n"
    )
    checks = [line for run in runs if (line := sampling_check(run)) is not None]
    print(
        "Sampling check (no proxy): the sampled share is a fixed function of the scope name and the request, so over "
        "one fixed set of prompts a scope's sample is one draw. The same accepted requests and truth, sampled at 0.2 "
        "under 200 other scope names:\n"
    )
    print(
        "| family | accepted (truth known) | truth, all accepted | mean truth of the samples | 95% of samples | "
        "Wilson intervals covering the truth |"
    )
    print("|---|---|---|---|---|---|")
    print("\n".join(checks) + "\n")
    print("### Audit spend\n")
    print("\n".join(spend_lines(runs, spend)) + "\n")
    latency = [
        (
            r.name.split("/")[-1],
            p50_ms([x for w in r.windows for x in w.rate0]),
            p50_ms([x for w in r.windows for x in w.audited]),
        )
        for r in runs
    ]
    plot_runs([(r.name, tables[r.name]) for r in runs], latency, plot)
