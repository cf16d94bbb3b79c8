"""Complexity-gated fusion vs always-fuse vs the best single model, on RouterBench's recorded answers.

    .venv/bin/python -m benchmarks fusion gated [--data ../shared/data]

Test splits of ARC-Challenge and Winogrande (multiple choice, so a fused answer can be scored from
the recorded answers; MBPP's code answers cannot be fused offline and are left out).
- Panel: gpt-4-1106-preview, claude-v2, gpt-3.5-turbo-1106 (mixtral-8x7b-chat for the cheap panel).
- Fusion outcome, offline: the members' majority letter (ties: the first member in panel order),
  a judge-free stand-in for best-of; its cost = the members' recorded costs + one judge call
  estimated at gpt-4-1106-preview's recorded cost for that prompt (the judge reads the prompt plus
  three short answers).
- Gate (litellm_fusion.routing.gate): cheap = mixtral-8x7b-chat, strong = gpt-4-1106-preview, with the
  shipped classifier's difficulty and the built-in strengths; swept over target_p_success.
"""

from __future__ import annotations

import argparse
import csv
import re
from collections import Counter
from pathlib import Path

from litellm_fusion.routing.difficulty_model import DifficultyModel
from litellm_fusion.routing.gate import gate
from litellm_fusion.routing.strengths import default_strength
from litellm_fusion.routing.text import request_text

from ..harness.paths import DATA
from ..harness.replay import first_text

PANELS = {
    "strong panel": ["gpt-4-1106-preview", "claude-v2", "gpt-3.5-turbo-1106"],
    "cheap panel": ["gpt-3.5-turbo-1106", "mistralai/mixtral-8x7b-chat", "claude-instant-v1"],
}
CHEAP, STRONG = "mistralai/mixtral-8x7b-chat", "gpt-4-1106-preview"
TARGETS = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99]
_LETTER = re.compile(r"\b([A-E])\b")


def letter(text: str) -> str | None:
    match = _LETTER.search(text.strip().upper()[:40])
    return match.group(1) if match else None


def rows(data: Path) -> list[dict]:
    csv.field_size_limit(10**9)
    out = []
    models = {m for p in PANELS.values() for m in p} | {CHEAP, STRONG}
    for task in ("arc_challenge", "winograde"):
        for row in csv.DictReader((data / "routerbench" / f"{task}_test.csv").open(encoding="utf-8")):
            if any(row.get(m, "") == "" for m in models):
                continue
            out.append(
                {
                    "task": task,
                    "prompt": first_text(row["prompt"]),
                    "score": {m: float(row[m]) for m in models},
                    "cost": {m: float(row[f"{m}|total_cost"]) for m in models},
                    "letter": {m: letter(first_text(row[f"{m}|model_response"])) for m in models},
                }
            )
    return out


def fused(row: dict, panel: list[str]) -> tuple[float, float]:
    """(score, cost) of the panel's majority answer plus one judge call."""
    letters = [row["letter"][m] for m in panel]
    counts = Counter(x for x in letters if x)
    top = max(counts.values()) if counts else 0
    winner = next((m for m, x in zip(panel, letters) if x and counts[x] == top), panel[0])
    cost = sum(row["cost"][m] for m in panel) + row["cost"][STRONG]
    return row["score"][winner], cost


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    items = rows(args.data)
    model = DifficultyModel.load()
    s_cheap, s_strong = default_strength(CHEAP), default_strength(STRONG)
    assert s_cheap is not None and s_strong is not None
    estimates = [model.estimate(request_text([{"role": "user", "content": r["prompt"]}])) for r in items]
    n = len(items)
    print(f"RouterBench ARC-Challenge + Winogrande test prompts with all models recorded: {n}\n")
    print("| policy | quality | cost $ | fused | single cheap | single strong |")
    print("|---|---|---|---|---|---|")
    best = max(PANELS["strong panel"] + [CHEAP], key=lambda m: sum(r["score"][m] for r in items))
    for m in (best, CHEAP):
        print(
            f"| always {m} | {sum(r['score'][m] for r in items) / n:.3f} | {sum(r['cost'][m] for r in items):.2f} | 0 | - | - |"
        )
    for name, panel in PANELS.items():
        q, c = zip(*(fused(r, panel) for r in items))
        print(f"| always fuse ({name}) | {sum(q) / n:.3f} | {sum(c):.2f} | {n} | 0 | 0 |")
        oracle = sum(max(r["score"][m] for m in panel) for r in items) / n
        print(f"| always fuse ({name}), oracle judge (upper bound) | {oracle:.3f} | {sum(c):.2f} | {n} | 0 | 0 |")
        for target in TARGETS:
            quality = cost = 0.0
            counts = Counter()
            for r, e in zip(items, estimates):
                decision = gate(e, s_cheap, s_strong, target).decision
                counts[decision] += 1
                if decision == "fuse":
                    score, spent = fused(r, panel)
                else:
                    m = CHEAP if decision == "cheap" else STRONG
                    score, spent = r["score"][m], r["cost"][m]
                quality += score
                cost += spent
            print(
                f"| gated ({name}), target {target} | {quality / n:.3f} | {cost:.2f} | {counts['fuse']} | "
                f"{counts['cheap']} | {counts['strong']} |"
            )


if __name__ == "__main__":
    main()
