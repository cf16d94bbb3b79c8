"""What live audits do for one cascade request: before it runs (sampled? which tiers does the guardrail refuse?)
and after it answered (the audits, escalation checks and acceptance labels it gives).

- Before (`plan_cascade`): the request is sampled by its hash (sampling.py); every earlier tier's estimate and
  guardrail are read from this replica's copy (book.py, no I/O); tripped tiers are refused.
- After (`cascade_work`), from the tiers' reports:
  - an earlier tier's answer was returned and the request is sampled: a paid audit asks the last tier now;
  - the last tier answered: each earlier tier's answer meets it, free. A tier the guardrail refused (it would have
    accepted) gives an audit, counted in the estimate; any other escalated tier an escalation check;
  - acceptance labels (for the learner): each earlier tier that ran and was checked, good = it accepted (or would
    have, under a tripped guardrail); tiers skipped or whose calls all failed give none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ...config.fusion import FusionModelConfig
from ..labels import Label
from ..records import CascadeReport, Message
from .book import ArmView, AuditBook
from .procedure import AuditJob, TopArm
from .sampling import is_sampled

NO_ACCEPTANCE_LABEL = ("skipped", "failed")


def tier_arm(tier: int) -> str:
    return f"tier:{tier}"


@dataclass
class CascadePlan:
    scope: str
    rate: float
    sampled: bool
    views: dict[int, ArmView] = field(default_factory=dict)  # earlier tiers (1-based)
    refuse: dict[int, str] = field(default_factory=dict)  # tripped tiers, with the reason

    def as_metadata(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "sampled": self.sampled,
            "tiers": {str(t): view.as_metadata() for t, view in self.views.items()},
        }


def watch_cascade(book: AuditBook, config: FusionModelConfig) -> None:
    """Register the cascade's earlier tiers (with the guardrail's limit) in the book."""
    if config.audit is None:
        return
    for t in range(1, len(config.tiers)):
        book.watch(config.name, tier_arm(t), config.audit.max_disagreement)


def plan_cascade(book: AuditBook, config: FusionModelConfig, messages: Sequence[Message]) -> CascadePlan | None:
    if config.audit is None:
        return None
    watch_cascade(book, config)
    plan = CascadePlan(config.name, config.audit.rate, is_sampled(config.name, messages, config.audit.rate))
    for t in range(1, len(config.tiers)):
        view = plan.views[t] = book.view(config.name, tier_arm(t))
        if view.tripped:
            plan.refuse[t] = view.reason
    return plan


def _top(config: FusionModelConfig, params: dict[str, Any]) -> TopArm:
    last = config.tiers[-1]
    temperature = last.temperature(params.get("temperature"))
    top_params = params if temperature is None else {**params, "temperature": temperature}
    return TopArm(tuple(last.call_models()), top_params, config.member_timeout)


def cascade_work(
    config: FusionModelConfig,
    plan: CascadePlan | None,
    messages: list[Message],
    params: dict[str, Any],
    report: CascadeReport,
) -> tuple[list[AuditJob], list[Label]]:
    """(audits and escalation checks to run, acceptance labels) of one answered cascade request."""
    last = len(config.tiers)
    scope = config.name
    labels = [
        Label(scope, tier_arm(r.tier), messages, r.accepted or r.code == "guardrail", "acceptance")
        for r in report.tiers
        if r.tier != last and r.code not in NO_ACCEPTANCE_LABEL and (r.accepted or r.escalated)
    ]
    jobs: list[AuditJob] = []
    judge = config.audit is not None and config.audit.judge is not None
    chosen = report.tiers[report.tier_reached - 1] if report.tiers else None
    if report.tier_reached < last and chosen is not None and chosen.answer is not None:
        if plan is not None and plan.sampled:
            arm = tier_arm(chosen.tier)
            jobs.append(
                AuditJob(
                    scope,
                    arm,
                    str(chosen.tier),
                    "audit",
                    messages,
                    chosen.answer,
                    ask=_top(config, params),
                    judge=judge,
                )
            )
        return jobs, labels
    top = report.tiers[-1].answer if report.tiers and report.accepted_by == "last tier" else None
    if top is None:
        return jobs, labels
    for r in report.tiers[:-1]:
        if r.answer is None or r.code in NO_ACCEPTANCE_LABEL:
            continue
        if r.code == "guardrail":
            if config.audit is not None:
                jobs.append(AuditJob(scope, tier_arm(r.tier), str(r.tier), "audit", messages, r.answer, reference=top))
        else:
            jobs.append(
                AuditJob(scope, tier_arm(r.tier), str(r.tier), "escalation_check", messages, r.answer, reference=top)
            )
    return jobs, labels
