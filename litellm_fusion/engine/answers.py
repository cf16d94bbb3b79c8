"""When two answers are the same answer: the normaliser behind the agreement shortcut and cascade agreement.

Two assistant messages agree (`same_answer`) under the first rule that decides:
1. Tool calls: if either asks for tool calls, they agree when both ask for the same calls (function names and
   arguments equal as JSON, in any order); their text does not matter.
2. Multiple choice: if both name one option letter A-J (e.g. "B", "(b)", "Answer: B", "The answer is B."),
   they agree when the letters are equal; one letter and no letter disagree.
3. Short answers (<= 200 characters after normalising case, whitespace and punctuation): exact match.
4. Numbers: if both state a final number — explicitly ("the answer is 42", "#### 42", "\\boxed{42}"), or, for
   short answers, by ending with it ("The total is 1,000.") — they agree when equal (to 1e-9 relative).
5. Two short answers that reached here disagree; long answers agree when their word-trigram Jaccard
   similarity is >= 0.9.

`clusters` groups a tier's answers by that relation (each answer joins the first group whose first answer it
agrees with), largest group first: a cascade accepts when the largest group has at least k answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .types import Candidate, ToolCall

_LETTER = re.compile(
    r"^\s*(?:the\s+)?(?:correct\s+)?(?:answer|option|choice)?\s*(?:is|:)?\s*\(?([a-j])\)?[.)]?\s*$", re.I
)
_LETTER_TAIL = re.compile(r"(?:answer|option|choice)\s*(?:is|:)\s*\(?([a-j])\)?(?:[.)\s]|$)", re.I)
_ENDING_NUMBER = re.compile(r"(-?\d[\d,]*(?:\.\d+)?)\s*[.!]?\s*$")
_STATED = re.compile(r"(?:answer\s+is|####|\\boxed\{)\s*\$?\s*(-?\d[\d,]*(?:\.\d+)?)", re.I)
_WORD = re.compile(r"[a-z0-9]+")
SHORT = 200
JACCARD = 0.9


def option_letter(text: str) -> str | None:
    """The option letter an answer settles on (its last statement of one), or None."""
    match = _LETTER.match(text)
    if match:
        return match.group(1).upper()
    tail = _LETTER_TAIL.findall(text)
    return tail[-1].upper() if tail else None


def final_number(text: str, short: bool) -> float | None:
    stated = _STATED.findall(text)
    ending = _ENDING_NUMBER.search(text) if short else None
    found = stated or ([ending.group(1)] if ending else [])
    if not found:
        return None
    try:
        return float(found[-1].replace(",", ""))
    except ValueError:
        return None


def normal_text(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def tool_call_key(calls: Sequence[ToolCall]) -> tuple[tuple[str, str], ...] | None:
    """The calls as a sorted tuple of (name, canonical JSON arguments); None if any arguments are not JSON."""
    key = []
    for call in calls:
        try:
            args = json.dumps(call.parsed_arguments(), sort_keys=True, separators=(",", ":"))
        except ValueError:
            return None
        key.append((call.name, args))
    return tuple(sorted(key))


@dataclass(frozen=True)
class _Normalised:
    """What the rules look at, computed once per answer."""

    text: str
    tools: tuple[tuple[str, str], ...] | None
    has_tools: bool
    letter: str | None
    normal: str
    short: bool

    @classmethod
    def of(cls, candidate: Candidate) -> _Normalised:
        normal = normal_text(candidate.text)
        return cls(
            text=candidate.text,
            tools=tool_call_key(candidate.tool_calls),
            has_tools=bool(candidate.tool_calls),
            letter=option_letter(candidate.text),
            normal=normal,
            short=len(normal) <= SHORT,
        )


def _same(a: _Normalised, b: _Normalised) -> str | None:
    if a.has_tools or b.has_tools:
        return "same tool calls" if a.tools is not None and a.tools == b.tools else None
    if not a.text.strip() or not b.text.strip():
        return None
    if a.letter or b.letter:
        return "same option letter" if a.letter == b.letter else None
    short = a.short and b.short
    if short and a.normal == b.normal:
        return "same short answer"
    na, nb = final_number(a.text, short), final_number(b.text, short)
    if na is not None and nb is not None:
        return "same final number" if abs(na - nb) <= 1e-9 * max(1.0, abs(na), abs(nb)) else None
    if short or na is not None or nb is not None:
        return None
    ga, gb = _trigrams(a.text), _trigrams(b.text)
    if len(ga & gb) / max(1, len(ga | gb)) >= JACCARD:
        return f"near-identical long answers (word-trigram Jaccard >= {JACCARD})"
    return None


def same_answer(a: Candidate, b: Candidate) -> str | None:
    """The rule under which two answers agree, or None."""
    return _same(_Normalised.of(a), _Normalised.of(b))


@dataclass(frozen=True)
class Cluster:
    members: tuple[int, ...]  # indices into the answers, in their order
    rule: str | None  # the rule the members agree under (None for a single answer)


def clusters(candidates: Sequence[Candidate]) -> list[Cluster]:
    """Groups of agreeing answers, largest first (ties: the group whose first answer comes first)."""
    normal = [_Normalised.of(c) for c in candidates]
    groups: list[list[int]] = []
    rules: list[str | None] = []
    for i, n in enumerate(normal):
        for g, group in enumerate(groups):
            rule = _same(normal[group[0]], n)
            if rule is not None:
                group.append(i)
                rules[g] = rules[g] or rule
                break
        else:
            groups.append([i])
            rules.append(None)
    order = sorted(range(len(groups)), key=lambda g: (-len(groups[g]), groups[g][0]))
    return [Cluster(tuple(groups[g]), rules[g]) for g in order]


def agreement(candidates: Sequence[Candidate]) -> str | None:
    """The rule under which all candidates (at least two) agree, or None."""
    if len(candidates) < 2:
        return None
    found = clusters(candidates)
    return found[0].rule if len(found) == 1 else None
