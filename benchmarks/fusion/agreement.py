"""Agreement short-circuit measured on recorded answers (../shared/data): how often the judge is skipped
and the quality of the skipped replies vs the best single member, on the same prompts.

    .venv/bin/python -m benchmarks fusion agreement [--data ../shared/data]

RouterBench: every test prompt of ARC-Challenge, MBPP, Winogrande, with each panel member's recorded
response and score (1/0). alpaca_eval: the 805 instructions with each member's output and its
p_beats_gpt4_1106 (probability the GPT-4-turbo judge prefers it over GPT-4-turbo's own answer).
When `agreement()` holds, the reply is the first member's answer; otherwise a judge would be called.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from litellm_fusion.engine.records import Candidate

from ..harness.answers import all_agree
from ..harness.paths import DATA
from ..harness.replay import first_text

ROUTERBENCH_PANELS = {
    "cheap": ["gpt-3.5-turbo-1106", "mistralai/mixtral-8x7b-chat", "claude-instant-v1"],
    "strong": ["gpt-4-1106-preview", "claude-v2", "gpt-3.5-turbo-1106"],
}
ALPACA_PANEL = ["claude-2", "claude-instant-1.2", "gpt-3.5-turbo-1106"]


def routerbench(data: Path) -> list[dict]:
    csv.field_size_limit(10**9)
    rows = []
    for name, panel in ROUTERBENCH_PANELS.items():
        for path in sorted((data / "routerbench").glob("*_test.csv")):
            n = skipped = 0
            first_on_skipped = oracle_on_skipped = 0.0
            member_totals = [0.0] * len(panel)
            for row in csv.DictReader(path.open(encoding="utf-8")):
                scores = [row.get(m, "") for m in panel]
                if any(s == "" for s in scores):
                    continue
                n += 1
                scores_f = [float(s) for s in scores]
                cands = [Candidate(i, m, first_text(row[f"{m}|model_response"])) for i, m in enumerate(panel)]
                if all_agree(cands) is not None:
                    skipped += 1
                    first_on_skipped += scores_f[0]
                    oracle_on_skipped += max(scores_f)
                    member_totals = [t + s for t, s in zip(member_totals, scores_f)]
            best_single_on_skipped = max(member_totals) if skipped else 0.0
            rows.append(
                {
                    "data": f"routerbench/{path.stem}",
                    "panel": name,
                    "n": n,
                    "skipped": skipped,
                    "agreed_quality": first_on_skipped / skipped if skipped else None,
                    "best_single_quality": best_single_on_skipped / skipped if skipped else None,
                    "oracle_quality": oracle_on_skipped / skipped if skipped else None,
                }
            )
    return rows


def alpaca(data: Path) -> dict:
    outputs = []
    for model in ALPACA_PANEL:
        path = data / "alpaca_eval" / f"{model}.jsonl"
        outputs.append({r["instruction"]: r for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())})
    common = sorted(set.intersection(*(set(o) for o in outputs)))
    skipped = 0
    first = oracle = 0.0
    totals = [0.0] * len(ALPACA_PANEL)
    for instruction in common:
        cands = [Candidate(i, m, o[instruction]["output"]) for i, (m, o) in enumerate(zip(ALPACA_PANEL, outputs))]
        if all_agree(cands) is not None:
            skipped += 1
            p = [float(o[instruction]["p_beats_gpt4_1106"]) for o in outputs]
            first += p[0]
            oracle += max(p)
            totals = [t + x for t, x in zip(totals, p)]
    return {
        "data": "alpaca_eval",
        "panel": "+".join(ALPACA_PANEL),
        "n": len(common),
        "skipped": skipped,
        "agreed_quality": first / skipped if skipped else None,
        "best_single_quality": max(totals) / skipped if skipped else None,
        "oracle_quality": oracle / skipped if skipped else None,
    }


def fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    rows = routerbench(args.data) + [alpaca(args.data)]
    print(
        "| data | panel | prompts | judge skipped | skip rate | quality of agreed reply | best single member (same prompts) | oracle pick (same prompts) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        rate = r["skipped"] / r["n"] if r["n"] else 0
        print(
            f"| {r['data']} | {r['panel']} | {r['n']} | {r['skipped']} | {rate:.1%} | {fmt(r['agreed_quality'])} | "
            f"{fmt(r['best_single_quality'])} | {fmt(r['oracle_quality'])} |"
        )


if __name__ == "__main__":
    main()
