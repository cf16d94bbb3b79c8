"""The cascade's answer normaliser (litellm_fusion/engine/answers.py) measured on recorded answers.

    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python -m benchmarks cascade agreement [--data ../shared/data]

All prompts (train and test) of RouterBench ARC-Challenge and Winogrande (option letters such as "C\\n", "A)"),
MBPP (code), and MMLU-Pro (chain of thought ending "the answer is (B)"; full texts for Llama-3.1-8B/70B-Instruct
and gpt-4o, the other deployments answer "The answer is (X)." from upstream's extracted letter, so only the
three full-text models test the normaliser there).

Per data set:
1. Keys: share of each model's answers the normaliser reads as an option letter, a final number, a short
   answer, or nothing it can compare (long free text); for MMLU-Pro full texts, how often its letter equals
   upstream's extracted `pred`.
2. Pairs of models, over prompts both answered: how often their answers agree (`same_answer`), how often the
   agreeing answers are both right (precision of acceptance), how often both were right but the normaliser
   saw different answers (on multiple-choice data a right answer is one letter, so these are misses:
   escalations that cost money for nothing), and how often both were wrong yet agreed.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
from collections import Counter
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
from litellm_fusion.engine.answers import extract
from tests.support import replay_data as rd  # the records (MMLU-Pro's full-text models and prices)

from ..harness.answers import same
from ..harness.paths import DATA

READS = {"letter": "letter", "number": "number", "math": "short", "literal": "short", "text": "short"}


def option_letter(text: str) -> str | None:
    found = extract(text)
    return str(found.value) if found.kind == "letter" else found.option


def key_kind(text: str) -> str:
    return READS.get(extract(text).kind, "none")


def prompts(data: Path, split: str) -> list[rd.Prompt]:
    return rd.load_split(data, split, "train") + rd.load_split(data, split, "test")


def keys_table(name: str, ps: list[rd.Prompt], models: list[str]) -> None:
    print(f"\n#### {name}: what the normaliser reads in each model's answers ({len(ps)} prompts)\n")
    print("| model | letter | number | short answer | nothing comparable | most common unreadable openings |")
    print("|---|---|---|---|---|---|")
    for m in models:
        texts = [p.answers[m].text for p in ps if m in p.answers]
        kinds = Counter(key_kind(t) for t in texts)
        odd = Counter(" ".join(t.split())[:24] for t in texts if key_kind(t) in ("none", "short"))
        common = ", ".join(f"`{o}` x{n}" for o, n in odd.most_common(3)) if odd else "-"
        print(
            f"| {m} | "
            + " | ".join(f"{kinds[k] / len(texts):.1%}" for k in ("letter", "number", "short", "none"))
            + f" | {common} |"
        )


def pairs_table(name: str, ps: list[rd.Prompt], models: list[str], multiple_choice: bool) -> None:
    print(f"\n#### {name}: pairs of models\n")
    print(
        "| pair | prompts | agree | agreeing answers both right | both right, seen as different"
        + (" (misses)" if multiple_choice else "")
        + " | both wrong, agreeing |"
    )
    print("|---|---|---|---|---|---|")
    totals = Counter()
    for a, b in itertools.combinations(models, 2):
        c = Counter()
        for p in ps:
            if a not in p.answers or b not in p.answers:
                continue
            ra, rb_ = p.answers[a], p.answers[b]
            agree = same(ra.text, rb_.text)
            right = ra.score == 1 and rb_.score == 1
            wrong = ra.score == 0 and rb_.score == 0
            c.update(
                n=1,
                agree=agree,
                agree_right=agree and right,
                right=right,
                right_missed=right and not agree,
                wrong=wrong,
                wrong_agree=wrong and agree,
            )
        totals.update(c)
        print(
            f"| {a} + {b} | {c['n']} | {c['agree'] / c['n']:.1%} | {_share(c['agree_right'], c['agree'])} | "
            f"{_share(c['right_missed'], c['right'])} | {_share(c['wrong_agree'], c['wrong'])} |"
        )
    t = totals
    print(
        f"| **all pairs** | {t['n']} | {t['agree'] / t['n']:.1%} | {_share(t['agree_right'], t['agree'])} | "
        f"{_share(t['right_missed'], t['right'])} | {_share(t['wrong_agree'], t['wrong'])} |"
    )


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%} ({part}/{whole})" if whole else "-"


def mmlu_pro_letters(data: Path, ps: list[rd.Prompt]) -> None:
    print("\n#### MMLU-Pro full responses: the normaliser's letter vs upstream's extracted `pred`\n")
    print("Upstream's extraction: `answer is (X)`, then (Llama-3.1 runs) the last standalone letter, a guess.\n")
    print(
        "| model | responses | same letter (or both none) | normaliser none, upstream guessed | normaliser reads one, "
        "upstream none | different letters |"
    )
    print("|---|---|---|---|---|---|")
    for model in rd.MMLU_PRO_FULL_RESPONSES:
        name = rd.MMLU_PRO_PRICES[model][0]
        with gzip.open(data / "mmlu_pro" / f"responses_{model}.jsonl.gz", "rt", encoding="utf-8") as f:
            pred = {str(r["question_id"]): r["pred"] for r in map(json.loads, f)}
        c = Counter()
        for p in ps:
            if name in p.answers and p.key in pred:
                ours, theirs = option_letter(p.answers[name].text), pred[p.key]
                c["n"] += 1
                c[
                    "same"
                    if ours == theirs
                    else "ours_none"
                    if ours is None
                    else "theirs_none"
                    if theirs is None
                    else "diff"
                ] += 1
        print(
            f"| {name} | {c['n']} | "
            + " | ".join(f"{c[k] / c['n']:.1%}" for k in ("same", "ours_none", "theirs_none", "diff"))
            + " |"
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args(argv)
    for split, mc in (("rb/arc_challenge", True), ("rb/winograde", True), ("rb/mbpp", False)):
        ps = prompts(args.data, split)
        models = sorted({m for p in ps for m in p.answers})
        keys_table(split, ps, models)
        pairs_table(split, ps, models, mc)
    ps = prompts(args.data, "mmlu_pro")
    full = [rd.MMLU_PRO_PRICES[m][0] for m in rd.MMLU_PRO_FULL_RESPONSES]
    keys_table("mmlu_pro (full responses)", ps, full)
    mmlu_pro_letters(args.data, ps)
    pairs_table("mmlu_pro (full responses)", ps, full, True)


if __name__ == "__main__":
    main()
