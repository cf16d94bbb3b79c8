"""What the answers package reads and decides: a reply's final answer, and how two of them compare."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ...config.answer_contract import AnswerContract, KindChoice

__all__ = ["AnswerContract", "Comparison", "FinalAnswer", "Kind", "KindChoice", "Outcome"]

Outcome = Literal["agree", "disagree", "undecided"]
# What a final answer is, which decides how it is compared (compare.py):
Kind = Literal["letter", "number", "math", "literal", "text", "long", "tool_calls", "none"]


@dataclass(frozen=True)
class FinalAnswer:
    """A reply's final answer: its text as found, its kind, and where in the reply it was found."""

    text: str
    kind: Kind
    source: str  # e.g. json:answer, json_fenced:answer, boxed, tag:answer, answer_line, heading, bold_line, ...
    value: Any = field(default=None, compare=False)  # the kind's comparable form (letter, float, canonical literal)
    option: str | None = field(default=None, compare=False)  # an option letter the reply also states ("The answer
    # is (C). The answer is 12.09 kcal."): answers that both name one are compared by it

    def as_metadata(self) -> dict[str, Any]:
        shown = self.text if len(self.text) <= 200 else self.text[:197] + "..."
        found = {"answer": shown, "kind": self.kind, "source": self.source}
        return {**found, "option": self.option} if self.option and self.kind != "letter" else found


@dataclass(frozen=True)
class Comparison:
    """How two final answers compare, and why."""

    outcome: Outcome
    reason: str
    a: FinalAnswer | None = None
    b: FinalAnswer | None = None

    @property
    def agree(self) -> bool:
        return self.outcome == "agree"
