"""Live audits of a routed group: its strongest deployment is the top arm, every other deployment a cheaper arm.

In the routing hook (`guard_route`): each cheaper deployment's guardrail is read from this replica's copy of the
estimates (no I/O). A tripped deployment is suspended: the request is routed again without it (never leaving
nothing: if every allowed deployment is suspended, the first decision stands). The request is sampled by its hash.
What was decided goes into the routing record (`audit`), so headers and the spend row show it.

After the routed call succeeded (`routed_job`), from that record:
- answered by a cheaper deployment and sampled: the strongest deployment is asked now (by its id, so the Router
  sends it there), a paid audit;
- a suspended deployment would have answered: the strongest answered instead, and the suspended one is asked now
  (its cost, far below the strongest's), so its estimate keeps moving and its guardrail can let go.
Routed calls made inside a fusion panel are not audited (they carry no caller identity to bill), nor calls to
/v1/responses (no chat messages to re-ask).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ...config.audit import AuditConfig
from ...engine.audit import AuditBook, AuditJob, TopArm, is_sampled
from ...engine.records import Candidate
from ...routing.strategy import Decision, DeploymentProfile, NoCandidate
from ..proxy_access.request import PASSED_ON
from ..proxy_access.router_caller import _completion

Redecide = Callable[[set[str]], Decision]


def guard_route(
    book: AuditBook,
    group: str,
    audit: AuditConfig,
    profiles: Sequence[DeploymentProfile],
    decision: Decision,
    messages: Sequence[Any] | None,
    redecide: Redecide,
) -> tuple[Decision, dict[str, Any]]:
    """(the decision, possibly without a suspended deployment; the record's `audit` entry)."""
    strongest = decision.strongest or max(profiles, key=lambda p: p.strength)
    cheaper = [p for p in profiles if p.id != strongest.id]
    for p in cheaper:
        book.watch(group, p.model, audit.max_disagreement)
    views = {p.model: book.view(group, p.model) for p in cheaper}
    tripped = {p.id for p in cheaper if views[p.model].tripped}
    entry: dict[str, Any] = {
        "rate": audit.rate,
        "sampled": is_sampled(group, messages or [], audit.rate),
        "strongest": {"deployment": strongest.model, "id": strongest.id},
        "deployments": {model: view.as_metadata() for model, view in views.items()},
    }
    if decision.chosen.id in tripped:
        suspended = decision.chosen
        try:
            decision = redecide(tripped)
        except NoCandidate:
            return decision, entry
        entry["suspended"] = {
            "deployment": suspended.model,
            "id": suspended.id,
            "reason": views[suspended.model].reason,
        }
    return decision, entry


def _params(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    standard = kwargs.get("standard_logging_object") or {}
    given = standard.get("model_parameters") if isinstance(standard, Mapping) else None
    given = given if isinstance(given, Mapping) else kwargs.get("optional_params") or {}
    return {k: v for k, v in given.items() if k in PASSED_ON and v is not None}


def _answer(kwargs: Mapping[str, Any], response: Any, deployment: str) -> Candidate | None:
    built = kwargs.get("complete_streaming_response") or response
    try:
        return Candidate.of(0, deployment, _completion(built))
    except (AttributeError, IndexError, TypeError):
        return None


def routed_job(
    audit: AuditConfig, record: Mapping[str, Any], kwargs: Mapping[str, Any], response: Any
) -> AuditJob | None:
    """The audit a successful routed call gives, if any."""
    entry = record.get("audit")
    messages = kwargs.get("messages")
    if not isinstance(entry, Mapping) or not isinstance(messages, list) or not messages:
        return None
    group, served = str(record["group"]), str(record["deployment"])
    answer = _answer(kwargs, response, served)
    if answer is None:
        return None
    judge = audit.judge is not None
    suspended = entry.get("suspended")
    if isinstance(suspended, Mapping):
        arm = str(suspended["deployment"])
        ask = TopArm((str(suspended["id"]),), _params(kwargs), audit.timeout)
        return AuditJob(group, arm, arm, "audit", list(messages), None, reference=answer, ask=ask, judge=judge)
    strongest = entry.get("strongest") or {}
    if served == strongest.get("deployment") or not entry.get("sampled"):
        return None
    ask = TopArm((str(strongest["id"]),), _params(kwargs), audit.timeout)
    return AuditJob(group, served, served, "audit", list(messages), answer, ask=ask, judge=judge)
