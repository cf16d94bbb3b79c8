"""The agreement relation over replies (assistant messages): every caller that asks "do these answers agree?"
uses these functions (cascade acceptance, the fusion agreement shortcut, debate convergence, audits)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..types import Candidate
from .legacy_forms import option_letter
from .legacy_relation import same_answer
from .model import AnswerContract, Comparison, FinalAnswer


def extract_reply(reply: Candidate, contract: AnswerContract | None = None) -> FinalAnswer:
    """The reply's final answer."""
    if reply.tool_calls:
        return FinalAnswer("", "tool_calls", "tool_calls")
    letter = option_letter(reply.text)
    if letter:
        return FinalAnswer(letter, "letter", "auto", letter)
    return FinalAnswer(reply.text.strip(), "long" if len(reply.text) > 200 else "text", "whole")


async def compare_replies(a: Candidate, b: Candidate, contract: AnswerContract | None = None) -> Comparison:
    """How two replies' final answers compare."""
    fa, fb = extract_reply(a, contract), extract_reply(b, contract)
    rule = same_answer(a, b)
    if rule is not None:
        return Comparison("agree", rule, fa, fb)
    if fa.kind == "long" and fb.kind == "long":
        return Comparison("undecided", "free-form answers", fa, fb)
    return Comparison("disagree", "different answers", fa, fb)


@dataclass(frozen=True)
class Cluster:
    members: tuple[int, ...]  # indices into the replies, in their order
    rule: str | None  # why the members agree (None for a single reply)


async def clusters(replies: Sequence[Candidate], contract: AnswerContract | None = None) -> list[Cluster]:
    """Groups of agreeing replies, largest first (ties: the group whose first reply comes first). A reply joins
    the first group whose first reply it agrees with."""
    groups: list[list[int]] = []
    rules: list[str | None] = []
    for i, reply in enumerate(replies):
        for g, group in enumerate(groups):
            found = await compare_replies(replies[group[0]], reply, contract)
            if found.agree:
                group.append(i)
                rules[g] = rules[g] or found.reason
                break
        else:
            groups.append([i])
            rules.append(None)
    order = sorted(range(len(groups)), key=lambda g: (-len(groups[g]), groups[g][0]))
    return [Cluster(tuple(groups[g]), rules[g]) for g in order]


async def agreement(replies: Sequence[Candidate], contract: AnswerContract | None = None) -> str | None:
    """Why all replies (at least two) agree, or None."""
    if len(replies) < 2:
        return None
    found = await clusters(replies, contract)
    return found[0].rule if len(found) == 1 else None
