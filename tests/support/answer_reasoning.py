"""Worked reasoning for rendered replies (tests/support/answer_formats.py): a few sentences that mention other
option letters, numbers, literals and LaTeX, none of them the answer, and that never state an answer."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .answer_formats import Answer

LETTERS = "ABCDEFGHIJ"
LITERALS = ("'ab'", "[3, 4]", "'x'", "{'k': 0}", "'Hello'", "(5, 6)", "'moo'", "[0]")
EXPRESSIONS = ("\\frac{1}{2}", "\\sqrt{5}", "x^2 - 4", "2\\pi", "\\frac{3}{7}", "e^{2}")


def _numbers(ans: Answer, rng: random.Random, n: int) -> list[int]:
    """n distinct small integers, none equal to the answer's value nor written in its forms."""
    out: list[int] = []
    while len(out) < n:
        k = rng.randint(2, 97)
        if k in out or (ans.value is not None and abs(k - ans.value) < 1e-9) or any(f == str(k) for f in ans.forms):
            continue
        out.append(k)
    return out


def _other(pool: tuple[str, ...], ans: Answer, rng: random.Random) -> str:
    return rng.choice([p for p in pool if p not in ans.forms and p.strip("'") not in ans.forms])


def _letter(ans: Answer, rng: random.Random) -> str:
    own = ans.text.strip("()").upper()[:1] if ans.kind == "letter" else ""
    return rng.choice([c for c in LETTERS[:5] if c != own])


def _sentences(ans: Answer, rng: random.Random, latex: bool) -> list[str]:
    a, b, c, d = _numbers(ans, rng, 4)
    if ans.value is not None and abs(a + b - ans.value) < 1e-9 or any(f == str(a + b) for f in ans.forms):
        b = b + 1 if abs(a + b + 1 - (ans.value or 0.5)) > 1e-9 else b + 2
    out = ["Let's work through this step by step."]
    if ans.kind == "letter":
        out.append(f"First, {a} + {b} = {a + b}, so option {_letter(ans, rng)} cannot be right.")
        out.append(f"Option {_letter(ans, rng)} would need {c} more units, which contradicts the question.")
    else:
        out.append(f"First, {a} + {b} = {a + b}, which is only an intermediate value.")
        out.append(f"Trying {c} instead gives {c * d}, which does not satisfy the condition.")
    if ans.kind in ("literal", "text", "code"):
        out.append(f"After the first pass the value is {_other(LITERALS, ans, rng)}, but the loop continues.")
    if ans.kind == "math" or latex:
        out.append(
            f"We use $\\frac{{{a}}}{{{b}}} \\times {c}$ and $\\sqrt{{{d}}}$ along the way, "
            f"and ${_other(EXPRESSIONS, ans, rng)}$ appears in one step."
        )
        out.append(f"With $\\beta = {a}$ and $\\left( {b} \\right)$ as bounds, $\\Delta = {c}$.")
    if ans.kind == "yesno":
        word = "no" if ans.text.strip().lower().startswith("y") else "yes"
        out.append(f"One might first say {word}, since case {a} looks like an exception.")
    out.append(f"Checking the case n = {d} confirms the pattern.")
    return out


def reasoning(ans: Answer, rng: random.Random, one_line: bool = False, force_latex: bool = False) -> str:
    """Deterministic given rng's state: 3-6 sentences, in one line or as numbered steps."""
    sentences = _sentences(ans, rng, force_latex)
    picked = rng.sample(sentences[1:], k=min(len(sentences) - 1, rng.randint(3, 5)))
    if force_latex:  # the LaTeX sentences always, for the raw-backslash JSON format
        picked += [s for s in sentences if ("\\frac" in s or "\\beta" in s) and s not in picked]
    keep = [sentences[0]] + sorted(picked, key=sentences.index)
    if one_line:
        return " ".join(keep)
    if rng.random() < 0.5:
        return "\n".join([keep[0]] + [f"{i}. {s}" for i, s in enumerate(keep[1:], 1)])
    return "\n\n".join(keep)
