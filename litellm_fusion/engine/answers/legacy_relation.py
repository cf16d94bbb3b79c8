"""When two answers are the same answer: the normaliser behind the agreement shortcut and cascade agreement.

Two assistant messages agree (`same_answer`) under the first rule that decides:
1. Tool calls: if either asks for tool calls, they agree when both ask for the same calls (function names and
   arguments equal as JSON, in any order); their text does not matter.
2. Multiple choice: if both name one option letter A-J they agree when the letters are equal; one letter and no
   letter disagree. A letter is named by an answer that is only a letter ("B", "(b)", "B)", "A:"); else by a
   statement, the last one counting ("Answer: B", "The correct option is B) Paris", "the answer is (B)",
   "\\boxed{B}", "Option B is correct", "(B) is the right answer"; a bare lowercase letter counts only before punctuation: "answer is a." but not "the answer is
   a bit more subtle"); else by a short one-line answer opening with an option label ("B) Paris",
   "(B) Paris", "B. Paris", "B - Paris").
3. Yes/no and true/false: short answers that open with one of these words, alone or before punctuation
   ("Yes, it is.", "The answer is yes", "**False**"), agree when the words are equal.
4. Numbers: if both state a final number — explicitly ("the answer is 42", "Answer: 42", "#### 42",
   "\\boxed{42}"), or, for short answers, by being or ending with it ("The total is 1,000.", "50%", "42 apples")
   — they agree when equal (to 1e-9 relative), and disagree otherwise ("-3" and "3" are different answers).
   A number that is a term of an expression or one item of a list is not one ("the answer is 3x + 2", "x + 2",
   "2 and 3", "5 (mod 7)": see rule 5), two numbers with different units disagree ("3 hours" / "3 minutes"; a
   number without a unit agrees with one with), and a long answer that states no number has none (the last
   number of a worked answer is as often a step's). Thousands separators
   (1,000 / 1 000 / 1'000), fractions (3/4, \\frac{3}{4}) and the unicode minus are read as numbers.
5. Stated final answers: if both state one that is not a number — the last `\\boxed{...}` (any LaTeX inside),
   or the rest of the line after the last "final answer:", "the answer is", "Answer:" or "####", at most
   60 characters — they agree when those are equal after normalising case, spacing, `$`, `\\left`/`\\right`,
   `\\dfrac`/`\\tfrac` and a closing period: a worked answer ending "so the answer is Paris." agrees with
   "Final answer: paris", and `\\boxed{\\dfrac{\\sqrt{3}}{2}}` with "The final answer is $\\frac{\\sqrt{3}}{2}$.".
   Braces are kept, so `\\frac{1}{23}` and `\\frac{12}{3}` differ; equal values written differently
   (`\\sqrt3`, `0.866`) are not recognised: they disagree and the cascade escalates. Two that state different
   answers disagree, however alike the rest of their text. A stated answer also agrees with a short answer
   that is exactly it (`\\boxed{x^2+1}` and "$x^2 + 1$").
6. Short answers (<= 200 characters after normalising case, whitespace and punctuation, and dropping a leading
   "the answer is" / "Answer:"): exact match.
7. Two short answers that reached here disagree; long answers agree when their word-trigram Jaccard
   similarity is >= 0.9.
Markdown emphasis and code ticks, and LaTeX \\text{..} / \\mathrm{..} wrappers, are ignored by rules 2-5. An answer
that is one JSON object with an `answer` (or `final_answer`, `finalAnswer`, `result`) field, fenced or not, is
read as that field: `{"answer": "B", "reasoning": "..."}` agrees with "The answer is (B).".

`clusters` groups a tier's answers by that relation (each answer joins the first group whose first answer it
agrees with), largest group first: a cascade accepts when the largest group has at least k answers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from ..types import Candidate, ToolCall
from .legacy_forms import (
    ANSWER_PREFIX,
    SHORT,
    json_answer,
    normal_text,
    option_letter,
    plain_text,
    polar_word,
    quantity_of,
    stated_answer,
    stated_form,
    trigrams,
)

JACCARD = 0.9


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
    normal: str  # the words of the answer without a leading "the answer is" / "Answer:"
    short: bool
    polar: str | None  # yes / no / true / false (short answers only)
    stated: str | None  # the final answer it states, normalised (rule 5)
    whole: str | None  # a short answer as a whole, normalised like a stated one (rule 5)
    quantity: tuple[float, str | None] | None  # final number and unit, read as this answer's length allows
    quantity_long: tuple[float, str | None] | None  # the same read as a long answer (next to a long one)

    @classmethod
    def of(cls, candidate: Candidate) -> _Normalised:
        text = json_answer(candidate.text) or candidate.text  # {"answer": "B", ...}: its answer is the answer
        plain = plain_text(text)
        normal = normal_text(ANSWER_PREFIX.sub("", plain, count=1))
        short = len(normal) <= SHORT
        stated = stated_answer(text)
        quantity = quantity_of(plain, stated is not None, short)
        return cls(
            text=text,
            tools=tool_call_key(candidate.tool_calls),
            has_tools=bool(candidate.tool_calls),
            letter=option_letter(text),
            normal=normal,
            short=short,
            polar=polar_word(plain) if short else None,
            stated=stated,
            whole=stated_form(plain) if short and "\n" not in plain.strip() else None,
            quantity=quantity,
            quantity_long=quantity_of(plain, stated is not None, False) if short else quantity,
        )


def _same(a: _Normalised, b: _Normalised) -> str | None:
    if a.has_tools or b.has_tools:
        return "same tool calls" if a.tools is not None and a.tools == b.tools else None
    if not a.text.strip() or not b.text.strip():
        return None
    if a.letter or b.letter:
        return "same option letter" if a.letter == b.letter else None
    if a.polar and b.polar:
        return "same yes/no answer" if a.polar == b.polar else None
    short = a.short and b.short
    qa, qb = (a.quantity, b.quantity) if short else (a.quantity_long, b.quantity_long)
    if qa is not None and qb is not None:
        if qa[1] and qb[1] and qa[1] != qb[1]:  # both name a unit, different ones: "3 hours" / "3 minutes"
            return None
        return "same final number" if abs(qa[0] - qb[0]) <= 1e-9 * max(1.0, abs(qa[0]), abs(qb[0])) else None
    if qa is None and qb is None:
        if a.stated is not None and b.stated is not None:
            return "same stated final answer" if a.stated == b.stated else None
        if (a.stated or a.whole) == (b.stated or b.whole) is not None and (a.stated or b.stated):
            return "same stated final answer"
    if short and a.normal == b.normal:
        return "same short answer"
    if short or qa is not None or qb is not None:
        return None
    ga, gb = trigrams(a.text), trigrams(b.text)
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
