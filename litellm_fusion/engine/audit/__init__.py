"""Live audits: which requests are audited, the audit itself, the shared estimates and the guardrail.

No LiteLLM here: the adapter gives the runner its Router caller, the judge call and the Redis counts
(adapter/audit/audit_service.py).
"""

from .book import ArmView, AuditBook
from .estimate import AuditCounts, AuditOutcome, Estimate, MemoryCounts, Tally, wilson
from .guardrail import GuardChange, Guardrail
from .pair_judge import PairJudge, PairVerdict, judge_pair, pairwise_prompt
from .procedure import AuditJob, AuditResult, TopArm, run_audit
from .runner import AuditRunner
from .sampling import is_sampled, sample_point

__all__ = [
    "ArmView",
    "AuditBook",
    "AuditCounts",
    "AuditJob",
    "AuditOutcome",
    "AuditResult",
    "AuditRunner",
    "Estimate",
    "GuardChange",
    "Guardrail",
    "MemoryCounts",
    "PairJudge",
    "PairVerdict",
    "Tally",
    "TopArm",
    "is_sampled",
    "judge_pair",
    "pairwise_prompt",
    "run_audit",
    "sample_point",
    "wilson",
]
