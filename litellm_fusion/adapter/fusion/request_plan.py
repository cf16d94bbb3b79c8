"""Preflight: a fusion request's plan (engine/plan.py), built once before its first call, and what the plan's
decisions add to the request's metadata afterwards.

Each pre-call policy looks at the request once, here: the cost cap (max_cost_per_request: its estimate and what
it leaves of the panel or tiers), the complexity gate (one model alone, or the panel), the classifier's start
tier (skip_tiers), the learned tier skips (learn: true) and the audit guardrails (tiers whose answer is refused).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...config.fusion import FusionModelConfig
from ...engine.audit.cascade_plan import CascadePlan
from ...engine.plan import RequestPlan
from ...engine.records import FusionResult, first_token_wait
from ...learning.policy import TierPlan
from ...routing.difficulty_model import DifficultyModel
from ...routing.gate import Gate
from ...routing.tier_start import TierStart
from ..audit.audit_service import AuditService
from ..learning import LearningRuntime
from ..proxy_access.request import FusionRequest
from .policies import apply_cost_cap, cascade_start, complexity_gate

COST_CAP_KEY = "litellm_fusion_cost_cap"
GATE_KEY = "litellm_fusion_gate"
AUDIT_KEY = "litellm_fusion_audit_plan"
LEARNING_KEY = "litellm_fusion_learning"


@dataclass(frozen=True)
class Preflight:
    plan: RequestPlan
    gated: Gate | None = None  # the complexity gate's decision (a gated model with text to classify)
    start: TierStart | None = None  # the classifier's start tier (skip_tiers)
    learned: TierPlan | None = None  # the learned model's skips (learn: true)
    audit: CascadePlan | None = None  # the audit plan of an audited model (engine/audit/cascade_plan.py)

    def record(self, metadata: dict[str, Any], result: FusionResult, started: float, first_at: float | None) -> None:
        """What the spend row's `fusion` entry says beyond the result: streaming times, the gate, the start tier,
        the cap, the audit plan and the learned model's decision."""
        entry = metadata["spend_logs_metadata"]["fusion"]
        config = self.plan.config
        if first_at is not None:  # streamed: how long the first text took, and what of that was not the calls'
            entry["first_token_ms"] = round((first_at - started) * 1000, 1)
            entry["first_token_overhead_ms"] = round(
                (first_at - started - first_token_wait(result.calls, first_at)) * 1000, 2
            )
        if self.gated is not None:
            entry["gate"] = metadata[GATE_KEY] = {
                "decision": self.gated.decision,
                "difficulty": round(self.gated.difficulty, 4),
                "p_cheap": round(self.gated.p_cheap, 4),
                "p_strong": round(self.gated.p_strong, 4),
            }
        if self.start is not None:
            entry["skip_tiers"] = {
                "start_tier": self.start.tier,
                "difficulty": round(self.start.difficulty, 4),
                "p_success": [round(p, 4) for p in self.start.p_success],
                "target": self.start.target,
            }
        cap = self.plan.cost
        if cap is not None:
            entry["cost_cap"] = metadata[COST_CAP_KEY] = {
                "cap": config.max_cost_per_request,
                "estimate": cap.estimate,
                "actual": result.cost,
                **cap.report,
            }
        if self.gated is None and self.audit is not None:
            entry["audit"] = metadata[AUDIT_KEY] = self.audit.as_metadata()
        if self.learned is not None:  # its tiers' outcomes reach the learner as audit's acceptance labels
            entry["learning"] = metadata[LEARNING_KEY] = self.learned.report


def preflight(
    router: Any,
    config: FusionModelConfig,
    request: FusionRequest,
    audits: AuditService,
    learning: LearningRuntime | None,
) -> Preflight:
    """The request's plan. Raises litellm.BadRequestError when the cost cap refuses it (or a gated model's
    strengths are missing)."""
    cap = apply_cost_cap(router, config, request) if config.max_cost_per_request is not None else None
    # the classifier reads the request once for the gate, the start tier and the learned model
    classified = config.gate is not None or config.skip_tiers is not None or (config.tiered and config.learn)
    reading = DifficultyModel.load().read(request.messages) if classified else None
    estimate = reading.estimate if reading is not None else None
    gated = complexity_gate(router, config, estimate) if config.gate is not None else None
    start = cascade_start(router, config, estimate) if config.skip_tiers is not None else None
    learned = learning.cascade_plan(router, config, request.messages, reading) if learning else None
    if gated is not None and gated.decision != "fuse" and config.gate is not None:
        single = config.gate.cheap if gated.decision == "cheap" else config.gate.strong
        reason = f"gate: {gated.decision} ({single}) predicted to succeed, p={max(gated.p_cheap, gated.p_strong):.2f}"
        return Preflight(RequestPlan(config, cap, single, reason), gated, start, learned)
    skip = {t: start.skip_reason(t) for t in range(1, start.tier)} if start is not None else {}
    skip.update(learned.skip if learned is not None else {})  # the learned model's skips (learn: true)
    audit = audits.cascade_plan(config, request.messages) if config.tiered else None
    refuse = audit.refuse if audit is not None else None  # tiers a tripped audit guardrail refuses
    return Preflight(RequestPlan(config, cap, skip=skip, refuse=refuse), gated, start, learned, audit)
