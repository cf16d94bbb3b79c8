"""One audit: the top arm's answer (asked now, or already known), compared with the cheaper arm's answer.

Sources:
- `audit`: a sampled request a cheaper arm answered; the top arm is asked now (`top`), unless its answer is already
  known (`reference`: a tripped guardrail escalated a tier whose answer would have been accepted, so the last tier
  answered the request anyway; that comparison counts as an audit, at no extra cost).
- `escalation_check`: a cascade escalated to its last tier; each earlier tier's answer meets the last tier's (no
  call, never a judge): free labels, counted apart from audits (they only see escalated requests).

The comparison is the answers package's relation; where it is undecided (free-form text) and the job may ask the
judge (paid audits only), the pairwise judge decides (pair_judge.py).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..acceptance import unusable
from ..answers import clusters, compare_replies
from ..calls import Deadline, PanelCall, run_panel
from ..records import Caller, Candidate, Ledger, Message
from .estimate import AuditOutcome
from .pair_judge import PairJudge, judge_pair

Source = Literal["audit", "escalation_check"]


@dataclass(frozen=True)
class TopArm:
    """How to ask an arm: one call per entry of `models` (a cascade's last tier: its model_names, samples
    repeated; a routed group: one deployment's id), with the request's parameters. Usually the top arm; the
    cheaper arm when the guardrail has suspended a routed deployment (the strongest one answered the request)."""

    models: tuple[str, ...]
    params: dict[str, Any]
    timeout: float


@dataclass
class AuditJob:
    scope: str  # the cascade's model_name, or the routed group
    arm: str  # "tier:<n>" (1-based) or the routed deployment (its litellm_params.model)
    tier: str  # the metrics' label: "<n>" or the deployment
    source: Source
    messages: list[Message]
    answer: Candidate | None  # the cheaper arm's answer (None: asked now, `ask`)
    reference: Candidate | None = None  # the top arm's answer (None: asked now, `ask`)
    ask: TopArm | None = None  # the calls that give the missing answer (none: both are known, no cost)
    judge: bool = False  # an undecided comparison may go to the audit judge
    identity: dict[str, Any] = field(default_factory=dict)  # adapter data (who is billed), opaque here

    @property
    def paid(self) -> bool:
        return self.ask is not None


@dataclass(frozen=True)
class AuditResult:
    outcome: AuditOutcome | Literal["failed"]
    reason: str
    cost: float = 0.0


async def top_answer(answers: Sequence[Candidate]) -> Candidate | None:
    """The top arm's answer as a cascade's last tier gives it: the largest group of its usable answers (first
    first), else its first answer."""
    usable = [c for c in answers if unusable(c) is None]
    if usable:
        return usable[(await clusters(usable))[0].members[0]]
    return answers[0] if answers else None


async def ask_arm(caller: Caller, job: AuditJob) -> tuple[Candidate | None, float, str]:
    """(the asked arm's answer or None, what its calls cost, why it failed)."""
    assert job.ask is not None
    top, ledger = job.ask, Ledger()
    calls = [PanelCall(i, m, list(job.messages)) for i, m in enumerate(top.models)]
    results = await run_panel(caller, calls, top.params, top.timeout, Deadline(top.timeout), 1, None, ledger)
    cost = sum(record.cost for _, record, _ in results)
    answers = [Candidate.of(call.member, call.model, c) for call, _, c in results if c is not None]
    errors = "; ".join(f"{call.model}: {record.error}" for call, record, c in results if c is None)
    return await top_answer(answers), cost, errors


async def run_audit(job: AuditJob, caller: Caller | None, judge: PairJudge | None, rng: random.Random) -> AuditResult:
    cost = 0.0
    answer, reference = job.answer, job.reference
    if answer is None or reference is None:
        if caller is None or job.ask is None:
            return AuditResult("failed", "an answer is missing and there is no call to ask for it")
        asked, cost, errors = await ask_arm(caller, job)
        if asked is None:
            return AuditResult("failed", f"the asked arm did not answer ({errors})", cost)
        answer, reference = (asked, reference) if answer is None else (answer, asked)
    assert answer is not None and reference is not None
    found = await compare_replies(answer, reference)
    outcome, reason = found.outcome, found.reason
    if outcome == "undecided" and job.judge and judge is not None:
        outcome, reason, judge_cost = await judge_pair(judge, job.messages, answer, reference, rng)
        cost += judge_cost
    return AuditResult(outcome, reason, cost)
