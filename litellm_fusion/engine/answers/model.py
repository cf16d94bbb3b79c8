"""What the answers package reads and decides: a reply's final answer, and how two of them compare."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = Literal["agree", "disagree", "undecided"]
# What a final answer is, which decides how it is compared (compare.py):
Kind = Literal["letter", "number", "math", "literal", "text", "long", "tool_calls", "none"]
KindChoice = Literal["auto", "letter", "number", "math", "literal", "text"]


@dataclass(frozen=True)
class AnswerContract:
    """Where a reply's final answer is and what kind it is, stated by the operator (a cascade's `answer:`) or
    inferred from the request (a `response_format` JSON schema, a prompt naming a JSON field).

    `source`: "auto" (layered extraction), "json_field" (the named field of the reply's JSON object) or "regex"
    (the pattern's first group, else its whole match, at its last match). `kind`: "auto" or one kind."""

    source: Literal["auto", "json_field", "regex"] = "auto"
    field: str | None = None
    pattern: str | None = None
    kind: KindChoice = "auto"
    origin: str = "default"  # config | response_format | prompt | default


@dataclass(frozen=True)
class FinalAnswer:
    """A reply's final answer: its text as found, its kind, and where in the reply it was found."""

    text: str
    kind: Kind
    source: str  # e.g. json:answer, json_fenced:answer, boxed, tag:answer, answer_line, heading, bold_line, ...
    value: Any = field(default=None, compare=False)  # the kind's comparable form (letter, float, canonical literal)

    def as_metadata(self) -> dict[str, Any]:
        shown = self.text if len(self.text) <= 200 else self.text[:197] + "..."
        return {"answer": shown, "kind": self.kind, "source": self.source}


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
