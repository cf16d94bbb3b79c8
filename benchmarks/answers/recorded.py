"""The agreement relation on recorded replies as they are (what the cascade sees), part of
`python -m benchmarks answers agreement` (issue 20).

Every pair of models on every prompt, compared with `compare_replies` on their recorded texts:
- MMLU-Pro full chain-of-thought responses (Llama-3.1-8B-Instruct, Llama-3.1-70B-Instruct, gpt-4o; all 5222
  questions, or 600 with --quick). Ground truth: upstream's extracted letters `pred`: equal -> the same answer,
  different -> different answers; pairs where either `pred` is null are shown apart (no recorded answer).
- RouterBench test split (11 models, 55 pairs; 150 prompts per task with --quick). ARC-Challenge and Winogrande
  have one right option, so two right replies name the same answer and a right and a wrong one different
  answers; two wrong replies may or may not agree (shown apart). MBPP is code: two passing programs need not be
  the same code, so only "right vs wrong" is a ground truth there (different answers).
- alpaca_eval: 2000 random pairs (500 with --quick) of two models' outputs of at least 300 characters to two
  different instructions (different answers: they must not agree), and as many to one instruction (no ground
  truth: two long answers may state the same final answer; shown for reference).
The time of each comparison is kept too (long texts: the reading is most of it).
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

from litellm_fusion.engine.answers import compare_replies
from litellm_fusion.engine.records import Candidate
from tests.support import replay_data as rd
from tests.support.answer_data import long_pairs

from ..harness.stats import pct


async def _outcome(a: str, b: str, times: list[float]) -> bool:
    start = time.perf_counter()
    got = await compare_replies(Candidate(0, "m0", a), Candidate(1, "m1", b))
    times.append(time.perf_counter() - start)
    return got.outcome == "agree"


def _share(c: Counter, truth: str) -> dict[str, Any]:
    n = c[truth]
    return {"pairs": n, "agree": c[f"{truth}_agree"], "rate": c[f"{truth}_agree"] / n if n else None}


async def mmlu_pro(data: Path, quick: bool, times: list[float]) -> dict[str, Any]:
    key = {q["question_id"]: q["answer"] for q in map(json.loads, (data / "mmlu_pro" / "questions.jsonl").open())}
    responses = {}
    for model in rd.MMLU_PRO_FULL_RESPONSES:
        with gzip.open(data / "mmlu_pro" / f"responses_{model}.jsonl.gz", "rt", encoding="utf-8") as f:
            responses[model] = {r["question_id"]: (r["pred"], r["response"]) for r in map(json.loads, f)}
    out = {}
    for ma, mb in itertools.combinations(rd.MMLU_PRO_FULL_RESPONSES, 2):
        qids = sorted(set(responses[ma]) & set(responses[mb]))
        if quick:
            qids = random.Random(0).sample(qids, 600)
        c: Counter = Counter()
        for q in qids:
            (pa, ta), (pb, tb) = responses[ma][q], responses[mb][q]
            truth = "none" if pa is None or pb is None else "same" if pa == pb else "different"
            agree = await _outcome(ta, tb, times)
            both_right = pa == pb == key[q]
            c.update({truth: 1, f"{truth}_agree": agree, "agree": agree, "agree_right": agree and both_right})
        out[f"{ma} + {mb}"] = {
            "n": len(qids),
            "same": _share(c, "same"),
            "different": _share(c, "different"),
            "no_pred": _share(c, "none"),
            "agreeing_both_right": c["agree_right"] / c["agree"] if c["agree"] else None,
        }
    return out


async def routerbench(data: Path, quick: bool, times: list[float]) -> dict[str, Any]:
    out = {}
    for task in rd.RB_TASKS:
        prompts = rd.routerbench(data, task, "test")
        if quick:
            prompts = random.Random(0).sample(prompts, min(len(prompts), 150))
        c: Counter = Counter()
        for p in prompts:
            for (ma, ra), (mb, rb_) in itertools.combinations(sorted(p.answers.items()), 2):
                right = int(ra.score == 1) + int(rb_.score == 1)
                truth = {2: "both_right", 1: "one_right", 0: "both_wrong"}[right]
                agree = await _outcome(ra.text, rb_.text, times)
                c.update({truth: 1, f"{truth}_agree": agree})
        out[f"rb/{task}"] = {t: _share(c, t) for t in ("both_right", "one_right", "both_wrong")}
    return out


async def alpaca(data: Path, quick: bool, times: list[float]) -> dict[str, Any]:
    out = {}
    for name, same in (("different_instructions", False), ("same_instruction", True)):
        pairs = long_pairs(500 if quick else 2000, seed=1, same_instruction=same, data=data)
        agree = [await _outcome(a, b, times) for _, a, b in pairs]
        out[name] = {"pairs": len(pairs), "agree": sum(agree), "rate": sum(agree) / len(pairs) if pairs else None}
    return out


async def _measure(data: Path, quick: bool) -> dict[str, Any]:
    times: list[float] = []
    result = {
        "mmlu_pro": await mmlu_pro(data, quick, times),
        "routerbench": await routerbench(data, quick, times),
        "alpaca_eval": await alpaca(data, quick, times),
    }
    ms = [t * 1000 for t in times]
    result["timing"] = {"n": len(ms), "p50_ms": pct(ms, 0.5), "p99_ms": pct(ms, 0.99), "max_ms": max(ms)}
    return result


def measure(data: Path, quick: bool = False) -> dict[str, Any]:
    return asyncio.run(_measure(data, quick))


def _cell(s: dict[str, Any]) -> str:
    return "-" if s["rate"] is None else f"{s['rate']:.1%} ({s['agree']}/{s['pairs']})"


def print_markdown(result: dict[str, Any]) -> None:
    print("\n#### Recorded replies as they are: MMLU-Pro full responses (ground truth: upstream's `pred`)\n")
    print("| pair | questions | agree when preds equal (recall) | agree when preds differ (false agreement) | "
          "agree when a pred is null | agreeing pairs both right |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for name, r in result["mmlu_pro"].items():
        right = r["agreeing_both_right"]
        print(f"| {name} | {r['n']} | {_cell(r['same'])} | {_cell(r['different'])} | {_cell(r['no_pred'])} | "
              f"{'-' if right is None else f'{right:.1%}'} |")  # fmt: skip
    print("\n#### Recorded replies as they are: RouterBench test split, all 55 model pairs (ground truth: scores)\n")
    print(
        "ARC / Winogrande: both right = the same option (recall), one right = different options (false "
        "agreement); MBPP: only one right is a ground truth (different programs).\n"
    )
    print("| task | agree when both right | agree when one right | agree when both wrong |")
    print("|---|---|---|---|")
    for task, r in result["routerbench"].items():
        print(f"| {task} | {_cell(r['both_right'])} | {_cell(r['one_right'])} | {_cell(r['both_wrong'])} |")
    a = result["alpaca_eval"]
    print(f"\nalpaca_eval, two models' long free-form answers (>= 300 characters): to different instructions "
          f"{_cell(a['different_instructions'])} agree; to one instruction {_cell(a['same_instruction'])}.")  # fmt: skip
    t = result["timing"]
    print(f"\nTime of one comparison of recorded replies ({t['n']}): p50 {t['p50_ms']:.3f} ms, "
          f"p99 {t['p99_ms']:.3f} ms, max {t['max_ms']:.1f} ms.")  # fmt: skip
