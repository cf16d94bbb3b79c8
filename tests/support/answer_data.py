"""Final answers recorded in ../shared/data, for the answer-agreement tests and benchmark (issue 20).

Each family gives `Recorded` groups: one prompt's recorded final answers by model, as `Answer`s to render
(tests/support/answer_formats.py). Two models with the same recorded answer have the same final answer; two with
different ones do not. Where the answers come from:

- RouterBench ARC-Challenge and Winogrande (`rb/arc_challenge`, `rb/winograde`): replies that are only an option
  letter ("C", "B\\n", "(A)"), read with a strict pattern and kept only when it matches the recorded score (the
  letter of a right reply is the key, of a wrong one not); forms add the option's text from the prompt
  ("B) Logan"). Replies that are not a bare letter ("I do", prose) are left out.
- MMLU-Pro (`mmlu_pro`): upstream's extracted letter `pred` of all 31 models (null left out), with forms
  "(B) <option text>". Its numeric options give `mmlu_pro/option_number` (the text of the chosen option, a number
  with or without unit or currency, e.g. "$50,200", "0.525", "4.5 m/s"), and its short wordy options
  `mmlu_pro/option_text` (case and punctuation kept): the same choices written as the option rather than its
  letter.
- MMLU-Pro full responses (`mmlu_pro/full_response`): the recorded chain of thought of three models as it is,
  against a rendering of its `pred` (the same answer) or of another option (a different one).
- MBPP (`rb/mbpp`): code. A final answer is only well defined as the code itself, so a reply counts only when it
  holds exactly one code block (or codellama's [PYTHON] block); "different answers" are only the code of a reply
  that passed vs one that failed on the same prompt (two passing programs may be different code and the same
  answer, so they are not used either way).
- alpaca_eval: free-form; only the "different long answers must not agree" side (`long_pairs`): two models'
  long answers to two different instructions.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from . import replay_data as rd
from .answer_formats import Answer, answer

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
BARE_LETTER = re.compile(r"\s*\(?([A-J])\)?[.):]?\s*")
OPTION_LINE = re.compile(r"^([A-J])[).] (.+)$", re.MULTILINE)
NUMBER_OPTION = re.compile(
    r"\$?(?P<num>[-\u2212]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(?:\s*(?:[x\u00d7]|\\times)\s*10\^\{?(?P<exp>[-\u2212]?\d+)\}?)?"
    r"(?P<unit>\s*(?:%|[A-Za-z\u00b0\u03a9\u03bc][\w\u00b0\u00b2\u00b3/\u00b7^\-]*(?: [A-Za-z][\w/\u00b2\u00b3^\-]*)?))?"
)
CODE_BLOCK = re.compile(r"```[\w+-]*\n(.*?)```|\[PYTHON\]\n?(.*?)\[/PYTHON\]", re.DOTALL)


@dataclass(frozen=True)
class Recorded:
    """One prompt's recorded final answers: model -> Answer, and model -> recorded score (1 right, 0 wrong)."""

    family: str
    key: str
    answers: dict[str, Answer]
    scores: dict[str, float]


def available(data: Path = DATA) -> bool:
    return (data / "routerbench").is_dir() and (data / "mmlu_pro").is_dir()


def letter(key: str, option: str | None = None) -> Answer:
    forms = [key, f"({key})", f"{key})"]
    if option and len(option) <= 60 and "\n" not in option:
        forms += [f"{key}) {option}", f"({key}) {option}"]
    return answer("letter", *forms, label=key)


def _options(prompt: str) -> dict[str, str]:
    last = prompt.rsplit("\n\n", 1)[-1]
    return dict(OPTION_LINE.findall(last))


def routerbench_letters(task: str, data: Path = DATA) -> list[Recorded]:
    out = []
    for p in rd.routerbench(data, task, "test"):
        options = _options(p.text)
        read = {m: BARE_LETTER.fullmatch(r.text) for m, r in p.answers.items()}
        letters = {m: x.group(1) for m, x in read.items() if x}
        keys = {letters[m] for m in letters if p.answers[m].score == 1}
        if len(keys) != 1:  # no right bare letter, or an inconsistent record: the key is unknown
            continue
        (key,) = keys
        kept = {m: v for m, v in letters.items() if (v == key) == (p.answers[m].score == 1)}
        answers = {m: letter(v, options.get(v)) for m, v in kept.items()}
        out.append(Recorded(f"rb/{task}", p.key, answers, {m: p.answers[m].score for m in kept}))
    return out


def _jsonl(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as f:
        yield from (json.loads(line) for line in f if line.strip())


def _number_option(text: str) -> Answer | None:
    found = NUMBER_OPTION.fullmatch(text.strip())
    if not found:
        return None
    value = float(found["num"].replace(",", "").replace("\u2212", "-"))
    if found["exp"]:
        value *= 10 ** int(found["exp"].replace("\u2212", "-"))
    forms = [text.strip()]
    if not found["exp"] and "." in found["num"] and found["num"].rstrip("0").endswith("."):
        forms.append(text.strip().replace(found["num"], found["num"].rstrip("0").rstrip("."), 1))
    return answer("number", *forms, value=value, label=text.strip()[:24])


def _text_option(text: str) -> Answer | None:
    t = text.strip()
    if len(t) > 40 or "\n" in t or re.search(r"[\d$\\]", t):
        return None
    return answer("text", t, f'"{t}"', label=t[:24])


def mmlu_pro(data: Path = DATA) -> dict[str, list[Recorded]]:
    """mmlu_pro (letters), mmlu_pro/option_number and mmlu_pro/option_text."""
    questions = {q["question_id"]: q for q in _jsonl(data / "mmlu_pro" / "questions.jsonl")}
    out: dict[str, list[Recorded]] = {"mmlu_pro": [], "mmlu_pro/option_number": [], "mmlu_pro/option_text": []}
    for line in _jsonl(data / "mmlu_pro" / "outcomes.jsonl"):
        q = questions[line.pop("question_id")]
        opts = {chr(65 + i): o for i, o in enumerate(q["options"])}
        preds = {m: r["pred"] for m, r in line.items() if r.get("pred") in opts}
        scores = {m: float(line[m]["correct"] or 0) for m in preds}
        key = str(q["question_id"])
        out["mmlu_pro"].append(Recorded("mmlu_pro", key, {m: letter(v, opts[v]) for m, v in preds.items()}, scores))
        for family, read in (("mmlu_pro/option_number", _number_option), ("mmlu_pro/option_text", _text_option)):
            parsed = {k: read(o) for k, o in opts.items()}
            if all(parsed.values()) and _distinct(list(parsed.values())):
                answers = {m: parsed[v] for m, v in preds.items()}
                out[family].append(Recorded(family, key, answers, scores))  # type: ignore[arg-type]
    return out


def _distinct(options: list[Answer]) -> bool:
    """Every option a different answer (different values, or different texts)."""
    if options[0].kind == "number":
        return len({round(a.value or 0.0, 12) for a in options}) == len(options)
    return len({a.text for a in options}) == len(options)


def _code(text: str) -> str | None:
    blocks = CODE_BLOCK.findall(text)
    if len(blocks) != 1:
        return None
    code = (blocks[0][0] or blocks[0][1]).strip()
    return code or None


def mbpp_code(data: Path = DATA) -> list[Recorded]:
    out = []
    for p in rd.routerbench(data, "mbpp", "test"):
        codes = {m: _code(r.text) for m, r in p.answers.items()}
        answers = {m: answer("code", c, label=f"{p.key}:{m}") for m, c in codes.items() if c}
        out.append(Recorded("rb/mbpp", p.key, answers, {m: p.answers[m].score for m in answers}))
    return out


STATED_LETTER = re.compile(r"answer is \(?([A-J])\)?")


def mmlu_pro_full_responses(data: Path = DATA) -> list[tuple[str, str, Answer, str]]:
    """(label, recorded full response, its letter, another option's letter) for the three models with full
    responses, where the response's last "answer is (X)" names upstream's `pred` (Llama's fallback guesses of a
    last standalone letter are left out: not a recorded final answer)."""
    import gzip

    questions = {q["question_id"]: q for q in _jsonl(data / "mmlu_pro" / "questions.jsonl")}
    out = []
    for model in rd.MMLU_PRO_FULL_RESPONSES:
        with gzip.open(data / "mmlu_pro" / f"responses_{model}.jsonl.gz", "rt", encoding="utf-8") as f:
            for r in map(json.loads, f):
                stated = STATED_LETTER.findall(r["response"])
                q = questions.get(r["question_id"])
                if not q or not r["pred"] or not stated or stated[-1] != r["pred"]:
                    continue
                opts = {chr(65 + i): o for i, o in enumerate(q["options"])}
                other = chr(65 + (ord(r["pred"]) - 65 + 1 + r["question_id"] % (len(opts) - 1)) % len(opts))
                label = f"{model}:{r['question_id']}"
                out.append((label, r["response"], letter(r["pred"], opts[r["pred"]]), other))
    return out


def recorded_families(data: Path = DATA) -> dict[str, list[Recorded]]:
    if not available(data):
        return {}
    return {
        "rb/arc_challenge": routerbench_letters("arc_challenge", data),
        "rb/winograde": routerbench_letters("winograde", data),
        **mmlu_pro(data),
        "rb/mbpp": mbpp_code(data),
    }


def long_pairs(
    n: int, seed: int, same_instruction: bool = False, min_chars: int = 300, data: Path = DATA
) -> list[tuple[str, str, str]]:
    """n (label, output, output) pairs of two alpaca_eval models' free-form answers, both at least `min_chars`
    long: to two different instructions (different answers: they must not agree), or to one instruction (no
    ground truth: two long answers to one question may state the same final answer, e.g. the same tip amount)."""
    folder = data / "alpaca_eval"
    if not folder.is_dir():
        return []
    models = sorted(p.stem for p in folder.glob("*.jsonl"))
    rows = {m: {r["instruction"]: r["output"] for r in _jsonl(folder / f"{m}.jsonl")} for m in models}
    common = sorted(set.intersection(*(set(r) for r in rows.values())))
    rng = random.Random(seed)
    out: list[tuple[str, str, str]] = []
    while len(out) < n:
        a, b = rng.sample(models, 2)
        ia = rng.choice(common)
        ib = ia if same_instruction else rng.choice(common)
        ta, tb = rows[a][ia], rows[b][ib]
        if min(len(ta.strip()), len(tb.strip())) >= min_chars and (ia != ib or same_instruction):
            out.append((f"alpaca{len(out)}:{a}~{b}", ta, tb))
    return out
