"""Whether a paid audit may run: it reserves its worst case through LiteLLM's budget reservation (issue 21), as
every request the plugin serves does.

`admit_audit` is awaited right before an audit's first call (in its background task, after the reply was sent),
with the identity the audit is billed to. It reserves, per call the audit will make to the top arm, that call's
worst case (the prompt's tokens and the request's max_tokens, or the assumed output, at the dearest price of the
model), against every budget of that identity's key, team, user and end user, as LiteLLM reserves a request's:
a budget with some room left admits the audit with what is left (one overshoot, as for any request), a budget
with none refuses it: the audit is dropped and counted as `budget` in litellm_fusion_audits_dropped_total, not an
error. Each call carries
its hold in its metadata, where LiteLLM's cost callback settles it to the call's real cost; `settle_audit` gives back
what a call that failed or never ran still holds. The pairwise judge's call (only for an undecided comparison, a
short verdict) is not reserved.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...engine.audit.procedure import AuditJob
from ...engine.cost_cap import single_call_cost
from ..budgets.budget_reservation import BudgetRefused, call_metadata, release, reserve_for
from ..proxy_access.deployment_profiles import deployment_prices, model_prices
from ..proxy_access.prompt_tokens import count as count_prompt_tokens
from ..proxy_access.router_access import deployment_by_id, proxy_router

log = logging.getLogger("litellm_fusion")


@dataclass
class Admission:
    """The holds of an admitted audit, one per top-arm call, handed out in call order."""

    holds: list[dict[str, Any] | None] = field(default_factory=list)
    given: int = 0

    def next_call_metadata(self) -> dict[str, Any]:
        """Metadata that makes the next call settle its hold (LiteLLM's cost callback reads it)."""
        if self.given >= len(self.holds):
            return {}
        self.given += 1
        return call_metadata(self.holds[self.given - 1])


def _prices(router: Any, model: str) -> tuple[float, float]:
    """A model_name's dearest prices, or one deployment's (a routed arm is asked by its id)."""
    deployment = deployment_by_id(router, model)
    return deployment_prices(deployment) if deployment is not None else model_prices(router, model)


async def admit_audit(job: AuditJob, identity: Mapping[str, Any]) -> Admission | None:
    """The audit's holds, or None when a budget of `identity` has no room for it (nothing is then held)."""
    auth = identity.get("user_api_key_auth")
    if job.ask is None or auth is None:
        return Admission()
    router = proxy_router()
    prompt = count_prompt_tokens(list(job.messages))
    params = job.ask.params
    max_output = params.get("max_tokens") or params.get("max_completion_tokens")
    admission = Admission()
    try:
        for model in job.ask.models:
            estimate = single_call_cost(model, prompt, max_output, lambda m: _prices(router, m))
            admission.holds.append(await reserve_for(auth, estimate, model=job.scope, tags=("fusion-audit",)))
    except BudgetRefused as refused:
        await settle_audit(admission)
        log.info("litellm_fusion: audit of %s %s refused by the budget: %s", job.scope, job.arm, refused)
        return None
    return admission


async def settle_audit(admission: Admission | None) -> None:
    """Give back what the audit's calls still hold (a call that failed or never ran); the others LiteLLM settled."""
    for hold in admission.holds if admission is not None else ():
        await release(hold)
