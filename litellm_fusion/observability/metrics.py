"""Prometheus metrics of fusion and complexity routing, on the proxy's own `/metrics`.

Recorded from the plugin's logging callbacks (success / failure events), never on the request path,
from the per-request records the handler and the routing hook leave in the request metadata:
`spend_logs_metadata["fusion"]` (fusion requests, successful or failed) and `litellm_fusion_routing`
(the routing decision).

- `prometheus_client` is optional: without it every recording is a no-op.
- The metrics live in prometheus_client's default REGISTRY, which LiteLLM serves at `/metrics` when
  `prometheus` is among `litellm_settings.callbacks`. With several workers LiteLLM sets
  `PROMETHEUS_MULTIPROC_DIR` and serves a `MultiProcessCollector`; our metrics are counters and
  histograms only, which prometheus_client writes to that directory like LiteLLM's own, so they are
  summed over workers the same way (nothing else to configure).
- Label values are bounded by the proxy config: fusion model / member / judge model_names, routed
  group names and their deployments' `litellm_params.model`, and fixed vocabularies (mode, outcome,
  cache result). No prompt text, no ids.
- Dollars (`*_usd_total`) are breakdowns of spend LiteLLM already counts in `litellm_spend_metric_total`
  (fusion: the outer call carries the summed cost; routing: the routed call's own cost). Never add them
  to LiteLLM's totals. One exception, documented: member calls of a *failed* fusion request were billed
  by providers but LiteLLM records no spend for a failed call; they appear only in our member cost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any, get_args

from ..config.fusion import FusionMode
from ..engine.acceptance import ESCALATION_CODES
from ..engine.judge_cache import CacheStatus
from ..engine.modes.table import mode_named
from ..engine.records import JudgeOutcome
from ..routing.gate import GateDecision
from .collectors import collector
from .metric_definitions import SPECS

log = logging.getLogger("litellm_fusion.metrics")

MODES = frozenset(m.value for m in FusionMode)
FUSION_OUTCOMES = frozenset({"ok", "degraded", "failed", "disconnected"})
JUDGE_OUTCOMES = frozenset(get_args(JudgeOutcome))
ESCALATIONS = frozenset(ESCALATION_CODES)
ACCEPTED_BY = frozenset({"agreement", "verifier", "agreement+verifier", "last tier", "fallback"})
MAX_TIER_LABEL = 10  # tier labels 1..10 (config allows more only in theory: "other" beyond)
CACHE_RESULTS = frozenset(get_args(CacheStatus))


class FusionMetrics:
    """The plugin's metrics; `enabled` is False when prometheus_client is not installed."""

    def __init__(self) -> None:
        try:
            import prometheus_client  # noqa: F401
        except ImportError:
            self.enabled = False
            self.m: dict[str, Any] = {}
            return
        self.enabled = True
        self.m = {name: collector(name, spec) for name, spec in SPECS.items()}
        self._last_warning = 0.0

    # ---- entry points (from the callbacks) ----
    def record(self, fn: Any, *args: Any) -> None:
        """Run one recording; a metrics problem never reaches a request (warned at most once a minute)."""
        if not self.enabled:
            return
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001
            now = time.monotonic()
            if now - self._last_warning > 60:
                self._last_warning = now
                log.warning("litellm_fusion: could not record metrics: %r", exc)

    def fusion(self, entry: Mapping[str, Any], known_models: Iterable[str] | None = None) -> None:
        """One fusion request, from its `spend_logs_metadata["fusion"]` entry (success or failure)."""
        known = None if known_models is None else set(known_models)

        def name(value: Any) -> str:
            value = str(value)
            return value if known is None or value in known else "other"

        model = name(entry.get("fusion_model"))
        mode = _vocab(entry.get("mode"), MODES)
        outcome = _vocab(entry.get("outcome"), FUSION_OUTCOMES)
        m = self.m
        m["litellm_fusion_requests"].labels(model, mode, outcome).inc()
        gate = entry.get("gate")
        if isinstance(gate, Mapping):
            m["litellm_fusion_gate_decisions"].labels(model, _vocab(gate.get("decision"), GATE_DECISIONS)).inc()

        members = [c for c in entry.get("members") or [] if isinstance(c, Mapping)]
        slowest: dict[int, float] = {}
        for call in members:
            member = name(call.get("model"))
            ok = bool(call.get("ok"))
            latency = max(float(call.get("latency_ms") or 0.0), 0.0) / 1000
            m["litellm_fusion_member_calls"].labels(model, member, "ok" if ok else "error").inc()
            m["litellm_fusion_member_duration_seconds"].labels(model, member).observe(latency)
            m["litellm_fusion_member_cost_usd"].labels(model, member).inc(max(float(call.get("cost") or 0.0), 0.0))
            rnd = int(call.get("round") or 1)
            slowest[rnd] = max(slowest.get(rnd, 0.0), latency)

        if outcome in ("failed", "disconnected"):
            return
        if (found := mode_named(mode)) is not None and found.tiered:
            self._cascade(model, entry)  # the tier series
        m["litellm_fusion_rounds"].labels(model, mode).inc(max(int(entry.get("rounds") or 1), 0))
        m["litellm_fusion_request_duration_seconds"].labels(model, mode).observe(
            max(float(entry.get("elapsed_ms") or 0.0), 0.0) / 1000
        )
        m["litellm_fusion_slowest_member_duration_seconds"].labels(model, mode).observe(sum(slowest.values()))

        judge_entry = entry.get("judge")
        judge: Mapping[str, Any] = judge_entry if isinstance(judge_entry, Mapping) else {}
        judge_outcome = _vocab(judge.get("outcome"), JUDGE_OUTCOMES)
        if judge_outcome == "skipped":
            return  # one surviving member: no judge, no cache lookup
        judge_model = name(judge.get("model"))
        cache = _vocab(judge.get("cache"), CACHE_RESULTS)
        m["litellm_fusion_judge_cache"].labels(model, cache).inc()
        cost = m["litellm_fusion_judge_cost_usd"].labels(model, judge_model)
        if cache == "hit":
            cost.inc(0)  # the series exists for every fusion model with a judge
            return
        m["litellm_fusion_judge_calls"].labels(model, judge_model, judge_outcome).inc()
        m["litellm_fusion_judge_duration_seconds"].labels(model, judge_model).observe(
            max(float(judge.get("latency_ms") or 0.0), 0.0) / 1000
        )
        cost.inc(max(float(judge.get("cost") or 0.0), 0.0))

    def _cascade(self, model: str, entry: Mapping[str, Any]) -> None:
        m = self.m
        accepted = str(entry.get("accepted_by") or "")
        accepted = "fallback" if accepted.startswith("fallback") else _vocab(accepted, ACCEPTED_BY)
        m["litellm_fusion_cascade_requests"].labels(model, _tier(entry.get("tier_reached")), accepted).inc()
        for esc in entry.get("escalations") or []:
            if isinstance(esc, Mapping):
                m["litellm_fusion_cascade_escalations"].labels(
                    model, _tier(esc.get("tier")), _vocab(esc.get("code"), ESCALATIONS)
                ).inc()
        if "baseline_cost" not in entry:
            return
        baseline = max(float(entry.get("baseline_cost") or 0.0), 0.0)
        saved = baseline - max(float(entry.get("cost") or 0.0), 0.0)
        m["litellm_fusion_cascade_baseline_cost_usd"].labels(model).inc(baseline)
        m["litellm_fusion_cascade_savings_usd"].labels(model).inc(max(saved, 0.0))
        m["litellm_fusion_cascade_overspend_usd"].labels(model).inc(max(-saved, 0.0))

    def routing(
        self,
        record: Mapping[str, Any],
        ok: bool,
        cost: float = 0.0,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
    ) -> None:
        """One routing decision, at the end of the routed call (`ok`: it succeeded, with its cost and usage)."""
        group = str(record["group"])
        deployment = str(record["deployment"])
        m = self.m
        m["litellm_fusion_routing_decisions"].labels(group, deployment, "ok" if ok else "failed").inc()
        m["litellm_fusion_routing_classifier_duration_seconds"].labels(group).observe(
            max(float(record.get("classifier_us") or 0.0), 0.0) / 1e6
        )
        if not ok:
            return
        strongest = record.get("strongest") if isinstance(record.get("strongest"), Mapping) else None
        cost = max(float(cost or 0.0), 0.0)
        m["litellm_fusion_routing_cost_usd"].labels(group, deployment).inc(cost)
        if strongest is None:
            return
        would = (
            float(strongest["input_cost_per_token"]) * prompt_tokens
            + float(strongest["output_cost_per_token"]) * completion_tokens
        )
        m["litellm_fusion_routing_strongest_cost_usd"].labels(group).inc(would)
        saved = would - cost
        m["litellm_fusion_routing_savings_usd"].labels(group).inc(max(saved, 0.0))
        m["litellm_fusion_routing_overspend_usd"].labels(group).inc(max(-saved, 0.0))


GATE_DECISIONS = frozenset(get_args(GateDecision))


def _tier(value: Any) -> str:
    try:
        tier = int(value)
    except (TypeError, ValueError):
        return "other"
    return str(tier) if 1 <= tier <= MAX_TIER_LABEL else "other"


def _vocab(value: Any, allowed: frozenset[str]) -> str:
    value = str(value)
    return value if value in allowed else "other"


_metrics: FusionMetrics | None = None


def metrics() -> FusionMetrics:
    """The process-wide metrics (created on first use; prometheus_client imported only then)."""
    global _metrics
    if _metrics is None:
        _metrics = FusionMetrics()
    return _metrics
