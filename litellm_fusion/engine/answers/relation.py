"""The agreement relation over replies (assistant messages). Every caller that asks "do these answers agree?"
uses it: cascade acceptance, the fusion agreement shortcut, debate convergence and audits.

Two replies with tool calls agree when they ask for the same calls (function names, arguments equal as JSON, in
any order); tool calls against text disagree. Otherwise their final answers (extract.py) are compared by kind
(compare.py). `clusters` groups replies by the relation: a reply joins the first group whose first reply it
agrees with; groups largest first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from ..offload import read_text
from ..records import Candidate, ToolCall
from .compare import compare
from .extract import extract
from .model import AnswerContract, Comparison, FinalAnswer


def tool_call_key(calls: Sequence[ToolCall]) -> str | None:
    """The calls in a canonical form (sorted names and JSON arguments); None if any arguments are not JSON."""
    key = []
    for call in calls:
        try:
            args = json.dumps(call.parsed_arguments(), sort_keys=True, separators=(",", ":"))
        except (ValueError, RecursionError):
            return None
        key.append([call.name, args])
    return json.dumps(sorted(key))


def extract_reply(reply: Candidate, contract: AnswerContract | None = None) -> FinalAnswer:
    """The reply's final answer (its tool calls, when it asks for some)."""
    if reply.tool_calls:
        return FinalAnswer(
            f"{len(reply.tool_calls)} tool call(s)", "tool_calls", "tool_calls", tool_call_key(reply.tool_calls)
        )
    return extract(reply.text, contract)


class _ReadTooLong(Exception):
    pass


async def read_reply(reply: Candidate, contract: AnswerContract | None = None) -> FinalAnswer:
    """`extract_reply`, off the event loop for a long reply (offload.py): one 64 kB window costs a few ms, and a
    panel's or cascade's replies are read together. A reply that a far too busy machine cannot read within the
    bound has no answer (it agrees with nothing)."""
    if reply.tool_calls:
        return extract_reply(reply, contract)
    try:
        return await read_text(lambda text: extract(text, contract), reply.text, _ReadTooLong)
    except _ReadTooLong:
        return FinalAnswer("", "none", "unread")


async def compare_answers(a: FinalAnswer, b: FinalAnswer) -> Comparison:
    """`compare`, with tool calls."""
    if a.kind == "tool_calls" or b.kind == "tool_calls":
        same = a.kind == b.kind and a.value is not None and a.value == b.value
        return (
            Comparison("agree", "same tool calls", a, b)
            if same
            else Comparison("disagree", "different tool calls", a, b)
        )
    return await compare(a, b)


async def compare_replies(a: Candidate, b: Candidate, contract: AnswerContract | None = None) -> Comparison:
    """How two replies' final answers compare."""
    return await compare_answers(await read_reply(a, contract), await read_reply(b, contract))


@dataclass(frozen=True)
class Cluster:
    members: tuple[int, ...]  # indices into the replies, in their order
    rule: str | None  # why the members agree (None for a single reply)


@dataclass(frozen=True)
class Grouping:
    """Replies grouped by the relation, with what was read from each and why the groups differ."""

    clusters: list[Cluster]
    answers: list[FinalAnswer]
    splits: list[str]  # why a reply did not join a group: one reason per comparison that did not agree

    def as_metadata(self, models: Sequence[str]) -> list[dict[str, object]]:
        return [{"model": m, **a.as_metadata()} for m, a in zip(models, self.answers, strict=True)]


async def group(replies: Sequence[Candidate], contract: AnswerContract | None = None) -> Grouping:
    """Groups of agreeing replies, largest first (ties: the group whose first reply comes first)."""
    answers = [await read_reply(r, contract) for r in replies]
    groups: list[list[int]] = []
    rules: list[str | None] = []
    splits: list[str] = []
    for i, answer in enumerate(answers):
        for g, members in enumerate(groups):
            found = await compare_answers(answers[members[0]], answer)
            if found.agree:
                members.append(i)
                rules[g] = rules[g] or found.reason
                break
            splits.append(f"{found.outcome}: {found.reason}")
        else:
            groups.append([i])
            rules.append(None)
    order = sorted(range(len(groups)), key=lambda g: (-len(groups[g]), groups[g][0]))
    return Grouping([Cluster(tuple(groups[g]), rules[g]) for g in order], answers, splits)


async def clusters(replies: Sequence[Candidate], contract: AnswerContract | None = None) -> list[Cluster]:
    return (await group(replies, contract)).clusters


async def agreement(replies: Sequence[Candidate], contract: AnswerContract | None = None) -> str | None:
    """Why all replies (at least two) agree, or None."""
    if len(replies) < 2:
        return None
    found = await clusters(replies, contract)
    return found[0].rule if len(found) == 1 else None
