"""Prometheus metrics of live audits, on the proxy's own `/metrics` (created like observability/metrics.py's).

| metric | type | labels |
|---|---|---|
| `litellm_fusion_audits_total` | counter | `model` (cascade or routed group), `tier` (a cascade's tier number, a routed group's deployment), `outcome` (agree, disagree, undecided) |
| `litellm_fusion_audit_cost_total` | counter | `model`: USD the audits' own calls cost (already in LiteLLM's spend under the caller's key: a breakdown, never to be added to it) |
| `litellm_fusion_escalation_checks_total` | counter | `model`, `tier`, `outcome`: an escalated tier's answer against the last tier's (no call) |
| `litellm_fusion_audits_dropped_total` | counter | `model`, `reason` (overload, timeout, error, shutdown, failed: the top arm did not answer, budget) |
| `litellm_fusion_audit_guardrail_tripped` | gauge | `model`, `tier`: 1 while the guardrail refuses that arm |

Recorded from the background audit tasks, never on the request path. Label values come from the config (model
names, deployments) and fixed vocabularies. An audit counts once, when its outcome is known; a guardrail comparison
is an audit at cost 0.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from ..engine.audit.runner import DROP_REASONS
from .collectors import collector

log = logging.getLogger("litellm_fusion.metrics")

OUTCOMES = frozenset({"agree", "disagree", "undecided"})
REASONS = frozenset(DROP_REASONS)

SPECS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "litellm_fusion_audits": (
        "counter",
        "Live audits by audited model, tier (or routed deployment) and outcome (agree, disagree, undecided)",
        ("model", "tier", "outcome"),
    ),
    "litellm_fusion_audit_cost": (
        "counter",
        "USD spent on live audits' own calls (top-arm calls and the audit judge; already in LiteLLM's spend)",
        ("model",),
    ),
    "litellm_fusion_escalation_checks": (
        "counter",
        "A cascade escalated to its last tier: each earlier tier's answer against the last tier's (no extra call)",
        ("model", "tier", "outcome"),
    ),
    "litellm_fusion_audits_dropped": (
        "counter",
        "Audits that did not produce an outcome, by reason (overload, timeout, error, shutdown, failed, budget)",
        ("model", "reason"),
    ),
    "litellm_fusion_audit_guardrail_tripped": (
        "gauge",
        "1 while the audit guardrail refuses answers from this tier (or routed deployment), else 0",
        ("model", "tier"),
    ),
}


def _vocab(value: str, allowed: frozenset[str]) -> str:
    return value if value in allowed else "other"


class AuditMetrics:
    """No-ops when prometheus_client is not installed; a metrics problem never reaches an audit."""

    def __init__(self) -> None:
        try:
            import prometheus_client  # noqa: F401
        except ImportError:
            self.m: dict[str, Any] = {}
            return
        self.m = {name: collector(name, spec) for name, spec in SPECS.items()}
        self._last_warning = 0.0

    def _do(self, name: str, labels: tuple[str, ...], amount: float, gauge: bool = False) -> None:
        metric = self.m.get(name)
        if metric is None:
            return
        try:
            child = metric.labels(*labels)
            child.set(amount) if gauge else child.inc(amount)
        except Exception as exc:  # noqa: BLE001
            now = time.monotonic()
            if now - self._last_warning > 60:
                self._last_warning = now
                log.warning("litellm_fusion: could not record audit metrics: %r", exc)

    def audit(self, model: str, tier: str, outcome: str, cost: float) -> None:
        self._do("litellm_fusion_audits", (model, tier, _vocab(outcome, OUTCOMES)), 1)
        self.cost(model, cost)

    def cost(self, model: str, cost: float) -> None:
        self._do("litellm_fusion_audit_cost", (model,), max(float(cost), 0.0))

    def escalation_check(self, model: str, tier: str, outcome: str) -> None:
        self._do("litellm_fusion_escalation_checks", (model, tier, _vocab(outcome, OUTCOMES)), 1)

    def dropped(self, model: str, reason: str) -> None:
        self._do("litellm_fusion_audits_dropped", (model, _vocab(reason, REASONS)), 1)

    def guardrail(self, model: str, tier: str, tripped: bool) -> None:
        self._do("litellm_fusion_audit_guardrail_tripped", (model, tier), 1.0 if tripped else 0.0, gauge=True)

    def value(self, name: str, **labels: str) -> float:
        """The current value of one series (tests)."""
        metric = self.m.get(name)
        if metric is None:
            return 0.0
        return float(metric.labels(**labels)._value.get())


_metrics: AuditMetrics | None = None


def audit_metrics() -> AuditMetrics:
    global _metrics
    if _metrics is None:
        _metrics = AuditMetrics()
    return _metrics
