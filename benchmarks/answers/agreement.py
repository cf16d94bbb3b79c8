"""The agreement relation (litellm_fusion.engine.answers, issue 20) measured on final answers rendered in the
formats real models use, and on recorded replies as they are.

    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python -m benchmarks answers agreement [--quick] [--json]
        [--save results.json] [--data ../shared/data] [--seed 20]

1. Rendered pairs (tests/support/answer_pairs.py; the unit suite tests/unit/test_answers_metamorphic.py is a
   sample of them): final answers recorded in the shared data (RouterBench ARC-Challenge and Winogrande letters,
   MMLU-Pro `pred` letters and the chosen options' texts, numeric and wordy, MBPP code) and generated ones
   (numbers in every notation, math, Python/JSON literals, short strings, yes/no), each written as a whole reply
   in two formats (tests/support/answer_formats.py). Ground truth: two renderings of one recorded answer are the
   same answer; two models' different recorded answers to one prompt (for code: a passing and a failing program)
   and the look-alikes are different answers. MMLU-Pro's recorded full responses (three models) are also compared
   as they are ("recorded") with a rendering of their `pred` letter (same) and of another letter (different).
   - recall: share of same-answer pairs the relation calls "agree";
   - false agreement: share of different-answer pairs it calls "agree" ("undecided" is not agreement: the cascade
     escalates on it);
   - precision: agree-and-same / agree, with as many same as different pairs (recall / (recall + false)).
   Per family, per look-alike, per format (either side of a pair) and per format pair.
2. Time of the relation: p50 / p99 of one `compare_replies` over the rendered pairs, for typical answers (every
   kind but math) and for math (goal: <= 1 ms typical, math bounded at 50 ms).
3. Recorded replies as they are (benchmarks/answers/recorded.py): what the cascade sees.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from litellm_fusion.engine.answers import compare_replies, math_equivalence
from litellm_fusion.engine.records import Candidate
from tests.support.answer_data import available, mmlu_pro_full_responses, recorded_families
from tests.support.answer_formats import FORMATS
from tests.support.answer_pairs import Pair, all_pairs

from ..harness.paths import DATA
from ..harness.stats import pct
from . import recorded as answers_recorded


async def judge(pairs: list[Pair]) -> list[tuple[Pair, str, tuple[float, float]]]:
    """Each pair's outcome and the time of its comparison (rendering not included): wall time, and the CPU time of
    the comparing thread (what the relation itself costs the proxy; on a loaded machine the wall time also holds
    waits for the CPU, and for math the wait for the math worker)."""
    await math_equivalence.start()  # the math worker's start-up (once per proxy) is not what is measured
    out = []
    for pair in pairs:
        a, b = pair.texts()
        start, cpu = time.perf_counter(), time.thread_time()
        got = await compare_replies(Candidate(0, "m0", a), Candidate(1, "m1", b))
        out.append((pair, got.outcome, (time.perf_counter() - start, time.thread_time() - cpu)))
    return out


def rates(rows: list[tuple[Pair, str, float]]) -> dict[str, Any]:
    same = [o for p, o, _ in rows if p.expect]
    diff = [o for p, o, _ in rows if not p.expect]
    recall = sum(o == "agree" for o in same) / len(same) if same else None
    false = sum(o == "agree" for o in diff) / len(diff) if diff else None
    precision = None
    if recall is not None and false is not None and recall + false > 0:
        precision = recall / (recall + false)
    outcomes = Counter(o for _, o, _ in rows)
    return {"same": len(same), "recall": recall, "different": len(diff), "false_agreement": false,
            "precision": precision, "outcomes": dict(outcomes)}  # fmt: skip


def timing(rows: list[tuple[Pair, str, tuple[float, float]]]) -> dict[str, Any]:
    out = {}
    for name, keep in (("typical", lambda p: p.a.kind != "math"), ("math", lambda p: p.a.kind == "math")):
        ms = [t[0] * 1000 for p, _, t in rows if keep(p)]
        cpu = [t[1] * 1000 for p, _, t in rows if keep(p)]
        if ms:
            out[name] = {"n": len(ms), "p50_ms": pct(ms, 0.5), "p99_ms": pct(ms, 0.99), "max_ms": max(ms),
                         "cpu_p50_ms": pct(cpu, 0.5), "cpu_p99_ms": pct(cpu, 0.99)}  # fmt: skip
    return out


def measure(data: Path, seed: int, quick: bool) -> dict[str, Any]:
    recorded = recorded_families(data)
    responses = mmlu_pro_full_responses(data) if available(data) else []
    scale = (0.5, 60, 4) if quick else (3, 500, 20)
    pairs = all_pairs(recorded, seed, scale[0], different=scale[1], per_lookalike=scale[2], responses=responses)
    rows = asyncio.run(judge(pairs))
    by_family, by_lookalike, by_format = defaultdict(list), defaultdict(list), defaultdict(list)
    by_format_pair = defaultdict(list)
    for row in rows:
        p = row[0]
        by_family[p.family].append(row)
        if p.why not in ("same", "recorded", "right_vs_wrong"):
            by_lookalike[p.why].append(row)
        for f in {p.fmt_a, p.fmt_b}:
            by_format[f].append(row)
        if p.expect:
            by_format_pair["~".join(sorted((p.fmt_a, p.fmt_b)))].append(row)
    return {
        "pairs": len(rows),
        "overall": rates(rows),
        "families": {k: rates(v) for k, v in by_family.items()},
        "lookalikes": {k: rates(v) for k, v in sorted(by_lookalike.items())},
        "formats": {f: rates(by_format[f]) for f in FORMATS if f in by_format},
        "format_pairs": {k: rates(v)["recall"] for k, v in sorted(by_format_pair.items())},
        "timing": timing(rows),
        "misses": _examples(rows, True),
        "false_agreements": _examples(rows, False),
    }


def _examples(rows: list[tuple[Pair, str, float]], expect: bool, n: int = 8) -> list[str]:
    return [p.id() for p, o, _ in rows if p.expect == expect and (o == "agree") != expect][:n]


def _p(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def print_markdown(result: dict[str, Any]) -> None:
    print(f"\n#### Rendered pairs ({result['pairs']} comparisons)\n")
    print("| family | same-answer pairs | recall | different-answer pairs | false agreement | precision (balanced) |")
    print("|---|---|---|---|---|---|")
    for name, r in [*result["families"].items(), ("**all**", result["overall"])]:
        print(f"| {name} | {r['same']} | {_p(r['recall'])} | {r['different']} | {_p(r['false_agreement'])} | "
              f"{_p(r['precision'])} |")  # fmt: skip
    print("\n#### Look-alikes (different answers): share agreeing\n")
    print("| difference | pairs | agree |")
    print("|---|---|---|")
    for name, r in result["lookalikes"].items():
        print(f"| {name} | {r['different']} | {_p(r['false_agreement'])} |")
    print("\n#### Per format (pairs with this format on either side)\n")
    print("| format | same-answer pairs | recall | different-answer pairs | false agreement |")
    print("|---|---|---|---|---|")
    for name, r in result["formats"].items():
        print(f"| {name} | {r['same']} | {_p(r['recall'])} | {r['different']} | {_p(r['false_agreement'])} |")
    print_format_grid(result["format_pairs"])
    print("\n#### Time of one comparison (compare_replies, rendered pairs)\n")
    print("| answers | comparisons | p50 ms | p99 ms | max ms | CPU p50 ms | CPU p99 ms |")
    print("|---|---|---|---|---|---|---|")
    for name, t in result["timing"].items():
        print(
            f"| {name} | {t['n']} | {t['p50_ms']:.3f} | {t['p99_ms']:.3f} | {t['max_ms']:.1f} "
            f"| {t['cpu_p50_ms']:.3f} | {t['cpu_p99_ms']:.3f} |"
        )
    for title, key in (("missed (same answer, not agree)", "misses"), ("false agreements", "false_agreements")):
        if result[key]:
            print(f"\nExamples of {title}: " + "; ".join(f"`{x}`" for x in result[key]))


def print_format_grid(grid: dict[str, float | None]) -> None:
    names = [f for f in FORMATS if any(f in k.split("~") for k in grid)]
    print("\n#### Recall per format pair (all families; the same answer in the row's and the column's format)\n")
    print("Formats: " + ", ".join(f"{i} = {f}" for i, f in enumerate(names, 1)) + "\n")
    print("| | " + " | ".join(str(i) for i in range(1, len(names) + 1)) + " |")
    print("|---|" + "---|" * len(names))
    for i, fa in enumerate(names, 1):
        cells = []
        for fb in names:
            value = grid.get("~".join(sorted((fa, fb))))
            cells.append("" if fa == fb or value is None else f"{value * 100:.0f}")
        print(f"| {i} {fa} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="fewer pairs (a development run)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of markdown")
    ap.add_argument("--save", type=Path, help="also write the JSON object to this file")
    args = ap.parse_args(argv)
    result = {"rendered": measure(args.data, args.seed, args.quick)}
    result["recorded"] = answers_recorded.measure(args.data, args.quick)
    if args.save:
        args.save.write_text(json.dumps(result, indent=2), encoding="utf-8")
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print_markdown(result["rendered"])
    answers_recorded.print_markdown(result["recorded"])


if __name__ == "__main__":
    main()
