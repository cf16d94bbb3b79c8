"""Whether two final answers agree, by kind:

- letter: the same option letter;
- number: equal values (1e-9 relative; 50% = 50 = 0.5), and the same unit when both name one;
- math (or a number against math): the same written form, else equal values by math-verify (off the event loop,
  bounded: math_equivalence.py); undecided when it cannot tell in time;
- literal: equal Python/JSON values (`[1,2]` = `[1, 2]`, `'a'` = `"a"`, a tuple = a list); a string literal
  against text compares the strings;
- text: exact after trimming whitespace and quotes: case, inner punctuation and repeated characters are part of
  the answer ('O' ≠ 'o', 'moo#' ≠ 'moo######'); two different texts of several words are undecided (a rewording
  is not a different answer), two different short ones disagree;
- long (free-form prose): near-identical (word-trigram Jaccard ≥ 0.9) agrees, anything else is undecided;
- different kinds are undecided ("B" against "Paris" may name the same option), except a number against a
  literal or text, which disagree when the text is not that number.
An answer with nothing to compare ("none") is undecided.
"""

from __future__ import annotations

import re
from typing import Any

from .kinds import strip_quotes
from .math_equivalence import equivalent
from .model import Comparison, FinalAnswer
from .numbers import Number

JACCARD = 0.9
_WORD = re.compile(r"[a-z0-9]+")
_SYMBOL = re.compile(r"\\[a-zA-Z]+|[a-zA-Z]")
_MATH_NOISE = re.compile(r"\\left(?![a-zA-Z])|\\right(?![a-zA-Z])|\\[,;!: ]|\\displaystyle|[$\s]|\.$")


def trigrams(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def _math_form(text: str) -> str:
    return _MATH_NOISE.sub("", text.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac"))


_SENTENCES = ("answer_line", "statement", "whole")


def _same_string(a: FinalAnswer, va: str, b: FinalAnswer, vb: str) -> bool:
    """Equal strings; or equal but for the closing mark of the sentence one of them was read from ("So the answer
    is Hello, World!" states "Hello, World!" or "Hello, World": the sentence's mark and the answer's are one)."""
    if va == vb:
        return True
    if a.source in _SENTENCES and vb[-1:] in ".!?" and vb[:-1] == va:
        return True
    return b.source in _SENTENCES and va[-1:] in ".!?" and va[:-1] == vb


def _whole(answer: FinalAnswer) -> str:
    return (str(answer.value) if answer.kind == "long" else answer.text).strip()


def _clip(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _shown(answer: FinalAnswer, quoted: bool = False) -> str:
    """An answer as a reason shows it: one line, at most 40 characters (reasons go into headers and logs)."""
    shown = _clip(answer.text)
    return repr(shown) if quoted else shown


def _option(answer: FinalAnswer) -> str | None:
    return str(answer.value) if answer.kind == "letter" else answer.option


def _symbols(form: str) -> set[str]:
    return set(_SYMBOL.findall(form))


def _words(text: str) -> int:
    return len(text.split())


def _outcome(agree: bool, yes: str, no: str, a: FinalAnswer, b: FinalAnswer) -> Comparison:
    return Comparison("agree", yes, a, b) if agree else Comparison("disagree", no, a, b)


def compare_now(a: FinalAnswer, b: FinalAnswer) -> Comparison | None:
    """The comparison, when it needs no math equivalence check; None when it does."""
    kinds = {a.kind, b.kind}
    if "none" in kinds:
        return Comparison("undecided", "no final answer to compare", a, b)
    if _whole(a) == _whole(b) and (a.kind in ("text", "long") or b.kind in ("text", "long")):
        return Comparison("agree", "same text", a, b)  # a program as a JSON string and the same program bare
    if a.kind == b.kind == "long":
        ga, gb = trigrams(str(a.value)), trigrams(str(b.value))
        if len(ga & gb) / max(1, len(ga | gb)) >= JACCARD:
            return Comparison("agree", f"near-identical long answers (word-trigram Jaccard >= {JACCARD})", a, b)
        return Comparison("undecided", "free-form answers", a, b)
    oa, ob = _option(a), _option(b)
    if oa is not None and ob is not None:
        return _outcome(oa == ob, "same option letter", f"different letters ({oa} vs {ob})", a, b)
    if "long" in kinds:
        return Comparison("undecided", "a free-form answer against a short one", a, b)
    if a.kind == b.kind == "number":
        na, nb = a.value, b.value
        assert isinstance(na, Number) and isinstance(nb, Number)
        if na.unit and nb.unit and na.unit != nb.unit:
            return Comparison("disagree", f"different units ({_clip(na.unit)} vs {_clip(nb.unit)})", a, b)
        return _outcome(na.equals(nb), "same number", f"different numbers ({_shown(a)} vs {_shown(b)})", a, b)
    if kinds <= {"number", "math"}:
        fa, fb = _math_form(a.text), _math_form(b.text)
        if fa == fb:
            return Comparison("agree", "same expression", a, b)
        if _symbols(fa) != _symbols(fb) and _symbols(fa.lower()) == _symbols(fb.lower()):
            # math-verify reads symbols case-blind (\Delta = \delta, X = x): in an answer, case is meaning
            return Comparison("disagree", f"different symbols ({_shown(a)} vs {_shown(b)})", a, b)
        return None
    if kinds <= {"literal", "text"}:
        va, vb = _as_string(a), _as_string(b)
        if (
            va is None
            or vb is None
            or a.kind == b.kind == "literal"
            and not (isinstance(a.value, str) or isinstance(b.value, str))
        ):
            return _outcome(a.value == b.value, "same value", f"different values ({_shown(a)} vs {_shown(b)})", a, b)
        if _same_string(a, va, b, vb):
            return Comparison("agree", "same text", a, b)
        if a.kind == b.kind == "text" and min(_words(va), _words(vb)) > 3:
            return Comparison("undecided", "different wording", a, b)
        return Comparison("disagree", f"different texts ({_shown(a, quoted=True)} vs {_shown(b, quoted=True)})", a, b)
    if "math" in kinds and kinds <= {"math", "literal", "text"}:  # "x-y-z" reads as math bare, as a string quoted
        va, vb = _as_string(a) or a.text, _as_string(b) or b.text
        if _same_string(a, va, b, vb):
            return Comparison("agree", "same text", a, b)
        return Comparison("undecided", f"different kinds of answer ({a.kind} vs {b.kind})", a, b)
    if "number" in kinds and kinds & {"literal", "text"}:
        return Comparison("disagree", f"a number against a non-number ({_shown(a)} vs {_shown(b)})", a, b)
    return Comparison("undecided", f"different kinds of answer ({a.kind} vs {b.kind})", a, b)


def _as_string(answer: FinalAnswer) -> str | None:
    value: Any = answer.value
    if answer.kind == "text":
        return strip_quotes(str(value))
    if isinstance(value, tuple) and value[:1] in (("yes/no",), ("true/false",)):
        return strip_quotes(answer.text)  # "Yes, it is entirely possible" as a yes and as a string
    return value if isinstance(value, str) else None


async def compare(a: FinalAnswer, b: FinalAnswer) -> Comparison:
    """How two final answers compare (math equivalence runs off the event loop, bounded in time)."""
    found = compare_now(a, b)
    if found is not None:
        return found
    same = await equivalent(_math_form(a.text), _math_form(b.text))
    if same is None:
        return Comparison("undecided", "math equivalence could not be decided", a, b)
    return _outcome(
        same, "equivalent expressions (math-verify)", f"different values ({_shown(a)} vs {_shown(b)})", a, b
    )
