"""Agreement short-circuit: when every surviving member gives the same answer, no judge is needed.

Rule (applied to the final answers of all surviving members, at least two):
1. Multiple-choice: if every answer names one option letter A-J (e.g. "B", "(b)", "Answer: B",
   "The answer is B."), they agree when the letters are equal.
2. Numbers: if every answer states a final number — explicitly ("the answer is 42", "#### 42",
   "\\boxed{42}"), or, for short answers, by ending with it ("The total is 1,000.") — they agree when
   the numbers are equal (to 1e-9 relative).
3. Short answers (<= 200 characters after normalising case, whitespace and punctuation): exact match.
4. Long answers: word-trigram Jaccard similarity >= 0.9 between every pair.
The first answer in panel order is returned; the judge outcome is `skipped` ("members agree (rule)").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import combinations

from .types import Candidate

_LETTER = re.compile(
    r"^\s*(?:the\s+)?(?:correct\s+)?(?:answer|option|choice)?\s*(?:is|:)?\s*\(?([a-j])\)?[.)]?\s*$", re.I
)
_LETTER_TAIL = re.compile(r"(?:answer|option|choice)\s*(?:is|:)\s*\(?([a-j])\)?(?:[.)\s]|$)", re.I)
_ENDING_NUMBER = re.compile(r"(-?\d[\d,]*(?:\.\d+)?)\s*[.!]?\s*$")
_STATED = re.compile(r"(?:answer\s+is|####|\\boxed\{)\s*\$?\s*(-?\d[\d,]*(?:\.\d+)?)", re.I)
_WORD = re.compile(r"[a-z0-9]+")
SHORT = 200
JACCARD = 0.9


def _letter(text: str) -> str | None:
    match = _LETTER.match(text) or _LETTER_TAIL.search(text)
    return match.group(1).upper() if match else None


def _number(text: str, short: bool) -> float | None:
    stated = _STATED.findall(text)
    ending = _ENDING_NUMBER.search(text) if short else None
    found = stated or ([ending.group(1)] if ending else [])
    if not found:
        return None
    try:
        return float(found[-1].replace(",", ""))
    except ValueError:
        return None


def _normal(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def agreement(candidates: Sequence[Candidate]) -> str | None:
    """The rule under which all candidates agree, or None."""
    texts = [c.text for c in candidates]
    if len(texts) < 2 or any(not t.strip() for t in texts):
        return None
    letters = [_letter(t) for t in texts]
    if all(letters):
        return "same option letter" if len(set(letters)) == 1 else None
    if any(letters):
        return None
    normal = [_normal(t) for t in texts]
    short = all(len(n) <= SHORT for n in normal)
    if short and len(set(normal)) == 1:
        return "same short answer"
    numbers = [_number(t, short) for t in texts]
    if all(n is not None for n in numbers):
        values = [n for n in numbers if n is not None]
        same = all(abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b)) for a, b in combinations(values, 2))
        return "same final number" if same else None
    if short:
        return None
    grams = [_trigrams(t) for t in texts]
    if all(len(a & b) / max(1, len(a | b)) >= JACCARD for a, b in combinations(grams, 2)):
        return f"near-identical long answers (word-trigram Jaccard >= {JACCARD})"
    return None
