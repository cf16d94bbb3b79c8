"""Whether a cascade tier's answer is accepted: automatic escalation, then the configured checks.

Never accepted, whatever the checks say (the answer is *unusable*): an empty answer, a refusal, an answer cut
off by the token limit (finish_reason length), tool calls whose arguments are not a JSON object. A tier whose
calls all failed or gave only unusable answers escalates with those reasons.

Checks (config/cascade.py AcceptConfig), over the tier's usable answers:
- agreement: the largest group of agreeing answers (engine/answers.py) has at least k members; the tier's
  answer is that group's first answer;
- verifier: a judge model rates the tier's answer (the largest group's first answer) 0-10 against the
  request; it passes at or above the threshold. A verifier that fails or returns an unusable rating does not
  pass (the tier escalates: doubt costs money, not quality).
With both: `combine: all` needs both (the verifier is not called when agreement already failed), `any`
needs one (the verifier is called only when agreement failed).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from ..config.cascade import AcceptConfig
from .answers import AnswerContract, group
from .records import Candidate, CheckResult, invalid_tool_call

Verify = Callable[[Candidate], Awaitable[CheckResult]]

_REFUSAL = re.compile(
    r"^\W*(?:(?:i'?m|i am)\s+(?:really\s+|very\s+)?sorry|sorry|i\s+apologi[sz]e|unfortunately|as an ai\b[^.]*?)"
    r"[^.!?]{0,120}?\b(?:can(?:no|')t|cannot|unable to|not able to|won'?t|will not|must decline)\b"
    r"|^\W*i\s+(?:can(?:no|')t|cannot|am unable to|'m unable to|am not able to|'m not able to|won'?t|will not|"
    r"must decline to)\s+(?:help|assist|provide|comply|answer|do (?:that|this)|fulfil+|support|complete|engage|"
    r"share|give|create|write)",
    re.IGNORECASE,
)
REFUSAL_MAX_CHARS = 400  # a longer answer that opens with an apology usually goes on to answer


# REFUSAL_MAX_CHARS + 1 characters that are not whitespace: the flattened answer is longer than a refusal.
_LONGER = re.compile(rf"\s*+(?:\S\s*+){{{REFUSAL_MAX_CHARS + 1}}}")


def is_refusal(text: str) -> bool:
    """A short answer that declines the request ("I'm sorry, but I can't help with that.")."""
    if len(text) > REFUSAL_MAX_CHARS and _LONGER.match(text) is not None:
        return False  # one pass over the answer's start: no flattening of a megabyte answer
    flat = " ".join(text.replace("’", "'").split())
    return len(flat) <= REFUSAL_MAX_CHARS and _REFUSAL.search(flat) is not None


ESCALATION_CODES = (
    "disagreement",
    "verifier",
    "failed",
    "refusal",
    "empty",
    "length",
    "invalid_tool_call",
    "skipped",
    "guardrail",  # the tier's answer passed its checks, but the audit guardrail has tripped for the tier
)


def unusable_code(c: Candidate) -> str | None:
    """Why this answer can never be accepted, as a code of ESCALATION_CODES, or None."""
    if invalid_tool_call(c.tool_calls) is not None:
        return "invalid_tool_call"
    if c.finish_reason == "length":
        return "length"
    if not c.text.strip() and not c.tool_calls:
        return "empty"
    if not c.tool_calls and is_refusal(c.text):
        return "refusal"
    return None


def unusable(c: Candidate) -> str | None:
    """Why this answer can never be accepted, in words, or None."""
    code = unusable_code(c)
    if code == "invalid_tool_call":
        return f"invalid tool call: {invalid_tool_call(c.tool_calls)}"
    return {"length": "cut off (finish_reason length)", "empty": "empty answer", "refusal": "refusal"}.get(code or "")


@dataclass
class TierVerdict:
    accepted: bool
    answer: Candidate | None  # the tier's answer: returned if accepted, kept as a fallback if not
    checks: list[CheckResult] = field(default_factory=list)
    accepted_by: str | None = None
    escalated: str | None = None
    code: str | None = None  # why it escalated, one of ESCALATION_CODES


async def accept_tier(
    rule: AcceptConfig,
    calls: int,
    answers: Sequence[Candidate],
    failures: Sequence[str],
    verify: Verify | None,
    contract: AnswerContract | None = None,
) -> TierVerdict:
    """`answers`: what the tier's calls returned (in call order); `failures`: the errors of calls that did not
    answer; `calls`: how many calls the tier made."""
    reasons = [f"{c.model}: {why}" for c in answers if (why := unusable(c)) is not None]
    usable = [c for c in answers if unusable(c) is None]
    if not usable:
        detail = "; ".join([*reasons, *failures])
        what = "every call failed" if not answers else "no usable answer"
        code = unusable_code(answers[0]) if answers else "failed"
        return TierVerdict(
            False, None, [CheckResult("usable", False, detail)], escalated=f"{what} ({detail})", code=code
        )
    grouping = await group(usable, contract)
    groups = grouping.clusters
    answer = usable[groups[0].members[0]]
    checks: list[CheckResult] = []
    if reasons:
        checks.append(
            CheckResult("usable", True, f"{len(usable)} of {len(answers)} answers usable ({'; '.join(reasons)})")
        )
    needed = rule.needed(calls)
    agreed: bool | None = None
    if needed is not None:
        size = len(groups[0].members)
        agreed = size >= needed
        how = f" ({groups[0].rule})" if agreed and groups[0].rule else ""
        different = len(groups)
        checks.append(
            CheckResult(
                "agreement",
                agreed,
                f"{size} of {calls} answers agree{how}, {needed} needed"
                + ("" if agreed else f"; {different} different answers ({'; '.join(dict.fromkeys(grouping.splits))})"),
                answers=grouping.as_metadata([c.model for c in usable]),
            )
        )
        if agreed and (not rule.verifier or rule.combine == "any"):
            return TierVerdict(True, answer, checks, accepted_by="agreement")
        if not agreed and (not rule.verifier or rule.combine == "all"):
            return TierVerdict(
                False, answer, checks, escalated=f"disagreement ({checks[-1].reason})", code="disagreement"
            )
    assert verify is not None, "a verifier check without a verifier passed config validation"
    verdict = await verify(answer)
    checks.append(verdict)
    if verdict.passed:
        return TierVerdict(True, answer, checks, accepted_by="agreement+verifier" if agreed else "verifier")
    return TierVerdict(False, answer, checks, escalated=f"verifier: {verdict.reason}", code="verifier")
