"""Whether a paid audit may run: the one call site for LiteLLM's budget reservation (issue 21).

`admit_audit` is awaited right before an audit's first call (in its background task, after the reply was sent),
with the identity the audit is billed to; False drops the audit, counted as `budget` in
litellm_fusion_audits_dropped_total (not an error). `settle_audit` is awaited once the audit's calls are done, with
what they cost (their spend rows are written by LiteLLM from each call's own success event). Today every audit is
admitted and there is nothing to settle: the reservation is wired here when issue 21 lands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..engine.audit.procedure import AuditJob


async def admit_audit(job: AuditJob, identity: Mapping[str, Any]) -> bool:
    """May this paid audit spend on `identity`'s key? (Always yes until the budget reservation is wired here.)"""
    return True


async def settle_audit(job: AuditJob, identity: Mapping[str, Any], cost: float) -> None:
    """The audit's calls are done and cost `cost` USD (nothing to settle until the reservation is wired)."""
