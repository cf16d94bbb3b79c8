"""Every routing data set of ../shared/data as one list of items, split and de-duplicated.

Shared by scripts/train_router.py and benchmarks/routing/ (read its README for the sources).

- An item is one prompt of one source, with every model's score on it (`scores`, 0..1) and, for
  RouterBench, the real cost of each model on it (`costs`).
- `family` is the task family across sources: RouterBench, RouterDC and LLMRouter all have ARC and MBPP,
  RouterDC and LLMRouter both have HumanEval and MATH; leaving a family out leaves out every source's copy
  of it. `task` is the source's own task (e.g. "dc/arc_easy"), whose protocol (prompt template, metric)
  differs between sources.
- Splits: upstream's where there is one (RouterBench, RouterDC's *_train/_test files, LLMRouter); else
  HOLDOUT_FRACTION of the items by sha256 of the text (RouterDC MATH/ceval/javascript/mbpp/gsm8k,
  MMLU-Pro, alpaca_eval).
- `decontaminate()` drops every training item whose question also appears in a test item of any source
  (6-token shingles, boilerplate ignored): RouterBench's ARC/MBPP overlap RouterDC's and LLMRouter's, and
  LLMRouter's own split puts 119 test queries in train as well.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HOLDOUT_FRACTION = 0.3
csv.field_size_limit(1 << 30)


@dataclass
class Item:
    source: str  # routerbench | routerdc | llmrouter | mmlu_pro | alpaca
    task: str  # the source's task, e.g. "dc/arc_easy"
    family: str  # the task family across sources, e.g. "arc"
    split: str  # train | test
    text: str  # the prompt as a user would send it
    core: str  # the question itself (last few-shot block), for de-duplication
    scores: dict[str, float]
    costs: dict[str, float] = field(default_factory=dict)
    key: str = ""
    topic: str = ""  # a finer label where the source has one (MMLU-Pro category, alpaca_eval sub-set)


FAMILY = {
    "rb/arc_challenge": "arc",
    "rb/mbpp": "mbpp",
    "rb/winograde": "winogrande",
    "dc/arc_challenge": "arc",
    "dc/arc_easy": "arc",
    "dc/MATH_prealgebra": "math",
    "dc/ceval": "ceval",
    "dc/cmmlu": "cmmlu",
    "dc/humaneval": "humaneval",
    "dc/javascript": "humaneval",
    "dc/mbpp": "mbpp",
    "dc/gsm8k": "gsm8k",
    "lr/natural_qa": "natural_qa",
    "lr/trivia_qa": "trivia_qa",
    "lr/commonsense_qa": "commonsense_qa",
    "lr/mbpp": "mbpp",
    "lr/arc_challenge": "arc",
    "lr/math": "math",
    "lr/openbook_qa": "openbook_qa",
    "lr/gpqa": "gpqa",
    "lr/human_eval": "humaneval",
    "lr/agentverse-logicgrid": "logicgrid",
    "lr/commongen": "commongen",
    "mmlu_pro": "mmlu_pro",
    "alpaca": "alpaca",
}


def text_key(task: str, text: str) -> str:
    return hashlib.sha256(f"{task}\x00{text}".encode()).hexdigest()[:16]


def is_heldout(task: str, text: str) -> bool:
    h = hashlib.sha256(f"split\x00{task}\x00{text}".encode()).hexdigest()
    return int(h[:8], 16) / 2**32 < HOLDOUT_FRACTION


def last_block(text: str) -> str:
    blocks = [b for b in text.strip().split("\n\n") if b.strip()]
    return blocks[-1] if blocks else text


def _item(
    source: str, task: str, split: str | None, text: str, scores: dict[str, float], core: str | None = None, **kw
) -> Item:
    split = split or ("test" if is_heldout(task, text) else "train")
    return Item(source, task, FAMILY[task], split, text, text if core is None else core, scores, **kw)


def _jsonl(path: Path) -> list[dict]:
    """JSON lines (split on newlines only: texts may hold U+2028 and other line separators)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def load_routerbench(data: Path) -> list[Item]:
    items: list[Item] = []
    for task in ("arc_challenge", "mbpp", "winograde"):
        for split in ("train", "test"):
            with open(data / "routerbench" / f"{task}_{split}.csv", newline="") as f:
                reader = csv.DictReader(f)
                cols = reader.fieldnames or []
                models = [
                    c
                    for c in cols
                    if c and "|" not in c and c not in ("sample_id", "prompt", "eval_name", "oracle_model_to_route_to")
                ]
                for row in reader:
                    p = ast.literal_eval(row["prompt"])
                    text = "\n".join(p) if isinstance(p, list) else str(p)
                    scores = {m: float(row[m]) for m in models if row[m] != ""}
                    costs = {m: float(row[m + "|total_cost"]) for m in models if row.get(m + "|total_cost", "") != ""}
                    items.append(
                        _item(
                            "routerbench",
                            f"rb/{task}",
                            split,
                            text,
                            scores,
                            last_block(text),
                            costs=costs,
                            key=row["sample_id"],
                        )
                    )
    return items


ROUTERDC_SPLIT = {
    "arc_challenge": ("arc_challenge_train.json", "arc_challenge_test.json"),
    "arc_easy": ("arc_easy_train.json", "arc_easy_test.json"),
    "cmmlu": ("cmmlu_train.json", "cmmlu_test.json"),
    "humaneval": ("humaneval_train.json", "humaneval_test.json"),
}
ROUTERDC_SINGLE = {
    "MATH_prealgebra": "MATH_prealgebra.json",
    "ceval": "ceval.json",
    "javascript": "javascript.json",
    "mbpp": "mbpp.json",
    "gsm8k": "gsm8k_train.json",
}


def load_routerdc(data: Path) -> list[Item]:
    items: list[Item] = []
    d = data / "routerdc_7model"
    files = [
        (task, split, fn) for task, (tr, te) in ROUTERDC_SPLIT.items() for split, fn in (("train", tr), ("test", te))
    ]
    files += [(task, None, fn) for task, fn in ROUTERDC_SINGLE.items()]
    for task, split, fn in files:
        for x in json.loads((d / fn).read_text()):
            scores = {m: float(v) for m, v in x["scores"].items()}
            items.append(_item("routerdc", f"dc/{task}", split, x["question"], scores))
    return items


def load_llmrouter(data: Path) -> list[Item]:
    items: list[Item] = []
    for split in ("train", "test"):
        for r in _jsonl(data / "llmrouter_9model" / f"{split}.jsonl"):
            scores = {m: float(v) for m, v in r["scores"].items()}
            items.append(_item("llmrouter", f"lr/{r['task']}", split, r["query"], scores))
    return items


def mmlu_pro_text(q: dict) -> str:
    """The question as a user would ask it: the stem and lettered options."""
    letters = "ABCDEFGHIJKLMNOP"
    return q["question"].strip() + "\n" + "\n".join(f"{letters[i]}. {o}" for i, o in enumerate(q["options"]))


def load_mmlu_pro(data: Path) -> list[Item]:
    d = data / "mmlu_pro"
    questions = {}
    for q in _jsonl(d / "questions.jsonl"):
        questions[q["question_id"]] = q
    items: list[Item] = []
    for r in _jsonl(d / "outcomes.jsonl"):
        q = questions[r.pop("question_id")]
        scores = {m: float(v["correct"] or 0) for m, v in r.items()}
        items.append(_item("mmlu_pro", "mmlu_pro", None, mmlu_pro_text(q), scores, q["question"], topic=q["category"]))
    return items


ALPACA_REFERENCE = "gpt4_1106_preview"  # the judge's reference: its p_beats is 0.5 by construction


def load_alpaca(data: Path) -> list[Item]:
    by_text: dict[str, dict[str, float]] = defaultdict(dict)
    topic: dict[str, str] = {}
    for fn in sorted((data / "alpaca_eval").glob("*.jsonl")):
        for r in _jsonl(fn):
            if r.get("p_beats_gpt4_1106") is None:
                continue
            by_text[r["instruction"]][r["model"]] = float(r["p_beats_gpt4_1106"])
            topic.setdefault(r["instruction"], r.get("dataset") or "")
    return [_item("alpaca", "alpaca", None, t, dict(s), topic=topic[t]) for t, s in by_text.items()]


def load_all(data: Path) -> list[Item]:
    items = (
        load_routerbench(data) + load_routerdc(data) + load_llmrouter(data) + load_mmlu_pro(data) + load_alpaca(data)
    )
    for it in items:
        if not it.key:
            it.key = text_key(it.task, it.text)
    return items


# ---------------------------------------------------------------- de-duplication
_WORD = re.compile(r"[a-z0-9]+|[^\x00-\x7f]")


def shingles(text: str, n: int = 6) -> set[tuple[str, ...]]:
    w = _WORD.findall(text.lower())
    if len(w) < n:
        return {tuple(w)} if w else set()
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def overlapping(candidates: list[Item], against: list[Item], boiler_df: int = 25, share: float = 0.5) -> set[int]:
    """ids of `candidates` whose question shares at least `share` of its non-boilerplate shingles with one
    question of `against`, which in turn is covered to the same share (templated prompts such as the
    logic-grid puzzles share phrases with many others, which alone does not make them duplicates)."""
    sh = {id(it): shingles(it.core) for it in candidates + against}
    df: Counter = Counter()
    for s in sh.values():
        df.update(s)
    boiler = {s for s, c in df.items() if c > boiler_df}
    index: dict[tuple[str, ...], list[int]] = defaultdict(list)
    sizes = []
    for j, it in enumerate(against):
        s = sh[id(it)] - boiler
        sizes.append(len(s))
        for x in s:
            index[x].append(j)
    out = set()
    for it in candidates:
        s = sh[id(it)] - boiler
        if not s:
            continue
        hits: Counter = Counter()
        for x in s:
            hits.update(index.get(x, ()))
        if any(n >= share * len(s) and n >= share * sizes[j] for j, n in hits.items()):
            out.add(id(it))
    return out


def decontaminate(items: list[Item]) -> tuple[list[Item], int]:
    """Drop training items that duplicate a test item (of any source)."""
    train = [it for it in items if it.split == "train"]
    test = [it for it in items if it.split == "test"]
    bad = overlapping(train, test)
    return [it for it in items if id(it) not in bad], len(bad)
