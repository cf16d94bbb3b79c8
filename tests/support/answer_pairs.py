"""Pairs of rendered replies with the verdict the agreement relation owes them (issue 20): two renderings of one
final answer must agree; renderings of two different final answers (recorded different answers, look-alikes,
right vs wrong code) must not. Built deterministically from a seed; used by tests/unit/test_answers_metamorphic.py
(a sample) and benchmarks/answers/agreement.py (more of them)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .answer_cases import GENERATED, LOOKALIKES
from .answer_data import Recorded, letter
from .answer_formats import Answer, formats_for, render


@dataclass(frozen=True)
class Pair:
    family: str  # rb/arc_challenge, mmlu_pro, gen/number, ...
    expect: bool  # True: the same final answer (must agree); False: different answers (must not)
    why: str  # "same", "recorded" (different recorded answers), "right_vs_wrong", or the look-alike's difference
    fmt_a: str
    fmt_b: str
    a: Answer
    b: Answer
    seed: int
    raw_a: str | None = None  # a recorded reply as it is, in place of a rendering of `a` (fmt_a "recorded")

    def id(self) -> str:
        what = self.a.id() if self.expect else f"{self.a.id()}|{self.b.id()}"
        return f"{self.family}:{self.why}:{what}:{self.fmt_a}~{self.fmt_b}"

    def texts(self) -> tuple[str, str]:
        a = self.raw_a if self.raw_a is not None else render(self.a, self.fmt_a, self.seed)
        return a, render(self.b, self.fmt_b, self.seed + 1)


def format_pairs(kind: str, kind_b: str | None = None, same: bool = False) -> list[tuple[str, str]]:
    """Unordered pairs of formats used for both kinds (with (f, f) too when `same`)."""
    common = [f for f in formats_for(kind) if f in formats_for(kind_b or kind)]
    pairs = list(itertools.combinations(common, 2))
    return [(f, f) for f in common] + pairs if same else pairs


def same_pairs(family: str, answers: list[Answer], per_format_pair: float, rng: random.Random) -> list[Pair]:
    """Two renderings of one answer in two different formats: every format pair `per_format_pair` times on
    average (a fraction samples the pairs), each with an answer drawn from `answers`."""
    if not answers:
        return []
    out = []
    pairs = format_pairs(answers[0].kind)
    whole, part = divmod(per_format_pair, 1)
    chosen = pairs * int(whole) + rng.sample(pairs, round(part * len(pairs)))
    for fa, fb in chosen:
        if rng.random() < 0.5:
            fa, fb = fb, fa
        ans = rng.choice(answers)
        out.append(Pair(family, True, "same", fa, fb, ans, ans, rng.randrange(10**6)))
    return out


def distinct_answers(records: list[Recorded]) -> list[Answer]:
    """Each record's distinct answers (the same letter of one prompt once)."""
    out: dict[tuple[str, str], Answer] = {}
    for r in records:
        for a in r.answers.values():
            out.setdefault((r.key, a.text), a)
    return list(out.values())


def different_pairs(family: str, records: list[Recorded], n: int, rng: random.Random) -> list[Pair]:
    """n pairs of two models' different recorded answers to one prompt, each in a random format (same or
    different). For code (rb/mbpp): only a passing vs a failing program."""
    usable = []
    for r in records:
        if family == "rb/mbpp":
            right = [a for m, a in r.answers.items() if r.scores[m] == 1]
            wrong = [a for m, a in r.answers.items() if r.scores[m] == 0]
            combos = [(x, y) for x in right for y in wrong if x.text.strip() != y.text.strip()]
        else:
            found = {a.text: a for a in r.answers.values()}
            combos = list(itertools.combinations(found.values(), 2))
        if combos:
            usable.append(combos)
    out = []
    for _ in range(n if usable else 0):
        a, b = rng.choice(rng.choice(usable))
        fa, fb = rng.choice(format_pairs(a.kind, b.kind, same=True))
        why = "right_vs_wrong" if family == "rb/mbpp" else "recorded"
        out.append(Pair(family, False, why, fa, fb, a, b, rng.randrange(10**6)))
    return out


def lookalike_pairs(per_lookalike: int, rng: random.Random) -> list[Pair]:
    """Each look-alike in the bare format on both sides, then in `per_lookalike` - 1 random format pairs."""
    out = []
    for la in LOOKALIKES:
        pairs = format_pairs(la.a.kind, la.b.kind, same=True)
        chosen = [("bare", "bare")] + rng.sample(pairs, min(len(pairs), per_lookalike - 1))
        for fa, fb in chosen:
            family = f"gen/{la.a.kind}"
            out.append(Pair(family, False, la.why, fa, fb, la.a, la.b, rng.randrange(10**6)))
    return out


def full_response_pairs(responses: list[tuple[str, str, Answer, str]], n: int, rng: random.Random) -> list[Pair]:
    """n recorded full responses, each against a rendering of its own letter (must agree) and of another option's
    letter (must not), in a random format."""
    out = []
    for label, text, own, other in rng.sample(responses, min(n, len(responses))):
        fmt = rng.choice(formats_for("letter"))
        wrong = letter(other)
        same = replace(own, label=f"{label}:{own.text}")
        family, seed = "mmlu_pro/full_response", rng.randrange(10**6)
        out.append(Pair(family, True, "same", "recorded", fmt, same, own, seed, text))
        out.append(Pair(family, False, "recorded", "recorded", fmt, same, wrong, seed, text))
    return out


def all_pairs(
    recorded: dict[str, list[Recorded]],
    seed: int,
    per_format_pair: float,
    different: int,
    per_lookalike: int,
    responses: Sequence[tuple[str, str, Answer, str]] = (),
) -> list[Pair]:
    """The suite: same-answer pairs for every family (recorded and generated), different recorded answers for
    every recorded family, recorded full responses against renderings, and the look-alikes."""
    rng = random.Random(seed)
    out: list[Pair] = full_response_pairs(list(responses), different, rng)
    for family, records in recorded.items():
        answers = distinct_answers(records)
        rng.shuffle(answers)
        out += same_pairs(family, answers[:2000], per_format_pair, rng)
        out += different_pairs(family, records, different, rng)
    for family, answers in GENERATED.items():
        out += same_pairs(family, list(answers), per_format_pair * 2, rng)
    return out + lookalike_pairs(per_lookalike, rng)
