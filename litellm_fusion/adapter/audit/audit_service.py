"""Live audits in the proxy: the process-wide service the fusion handler, the routing hook and the callbacks share.

- Before a cascade runs (`cascade_plan`): sampled or not, and the tiers a tripped guardrail refuses.
- When it answered (`cascade_done`): what to audit is kept until LiteLLM logs the request's success, so audits start
  after the reply was sent (`after_success`); a failed request drops it (`after_failure`).
- Routed groups (adapter/routing/audit_routing.py): the routing hook suspends a tripped deployment; a routed call's
  success starts its audit.
- Audits run in the background (engine/audit/runner.py): paid ones (they call the top arm) in one bounded runner,
  free comparisons in another, so paid audits piling up never crowd out the guardrail's comparisons.
- Outcomes: Prometheus (observability/audit_metrics.py), the shared estimates (Redis, engine/audit/book.py), and a
  label for the learner through `labels` (a LabelSink; NoLabels unless learning wires its sink here).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ...config.audit import AuditConfig
from ...config.fusion import FusionModelConfig
from ...config.settings import PluginSettings
from ...engine.audit import AuditBook, AuditJob, AuditResult, AuditRunner, GuardChange, run_audit
from ...engine.audit.cascade_plan import CascadePlan, cascade_work, plan_cascade, watch_cascade
from ...engine.labels import Label, LabelSink, NoLabels
from ...engine.modes import mode_of
from ...engine.records import CascadeReport, FusionResult, Message
from ...observability.audit_metrics import audit_metrics
from ..proxy_access import request_metadata
from ..proxy_access.router_access import proxy_router
from ..proxy_access.router_caller import is_inner_call
from ..stores.redis_audit_store import ProxyAuditCounts
from .audit_admission import admit_audit, settle_audit
from .audit_calls import (
    JUDGE_ORIGIN,
    TOP_ORIGIN,
    AuditCaller,
    BillingKeys,
    RouterPairJudge,
    call_metadata,
    caller_identity,
    is_audit_call,
)

log = logging.getLogger("litellm_fusion")

MAX_WAITING_REQUESTS = 10_000  # answered cascade requests whose success LiteLLM has not logged yet
FREE_FACTOR = 4  # the free comparisons' runner is this much larger than the paid one


@dataclass
class Pending:
    config: FusionModelConfig
    plan: CascadePlan | None
    messages: list[Message]
    params: dict[str, Any]
    report: CascadeReport


def tier_label(arm: str) -> str:
    """The metrics' `tier` label of an arm: "tier:1" -> "1"; a routed deployment stays itself."""
    return arm.removeprefix("tier:")


class AuditService:
    def __init__(
        self,
        settings: PluginSettings,
        fusion: Mapping[str, FusionModelConfig],
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings.audits
        self.cascades = {n: c for n, c in fusion.items() if mode_of(c).auditable and (c.audit is not None or c.learn)}
        self.groups = {g: r for g, r in settings.routing.items() if r.audit is not None}
        self.labels: LabelSink = NoLabels()  # the learner's sink (litellm_fusion/learning) is set here
        self.metrics = audit_metrics()
        self.counts = ProxyAuditCounts(settings.audits)
        self.book = AuditBook(self.counts, self.settings.window_days, self.settings.refresh_s, clock, self._changed)
        for config in self.cascades.values():
            watch_cascade(self.book, config)
        self.rng = rng or random.Random()
        self.billing = BillingKeys()
        self._runners: dict[str, AuditRunner] = {}
        self._waiting: OrderedDict[str, Pending] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def enabled(self) -> bool:
        return bool(self.cascades or self.groups)

    def runner(self, paid: bool) -> AuditRunner:
        name = "audit" if paid else "audit comparison"
        if name not in self._runners:
            factor = 1 if paid else FREE_FACTOR
            self._runners[name] = AuditRunner(
                self.settings.max_concurrent * factor, self.settings.max_pending * factor, self.metrics.dropped, name
            )
        return self._runners[name]

    # ---- cascades (from the fusion handler) ----
    def cascade_plan(self, config: FusionModelConfig, messages: list[Message]) -> CascadePlan | None:
        return plan_cascade(self.book, config, messages) if config.name in self.cascades else None

    def cascade_done(
        self,
        call_id: str | None,
        config: FusionModelConfig,
        plan: CascadePlan | None,
        messages: list[Message],
        params: dict[str, Any],
        result: FusionResult,
    ) -> None:
        if config.name not in self.cascades or result.cascade is None or not call_id:
            return
        self._waiting[call_id] = Pending(config, plan, list(messages), dict(params), result.cascade)
        while len(self._waiting) > MAX_WAITING_REQUESTS:
            _, dropped = self._waiting.popitem(last=False)
            self.metrics.dropped(dropped.config.name, "overload")

    # ---- from the callbacks ----
    def after_success(self, kwargs: Mapping[str, Any], response: Any, route: Mapping[str, Any] | None) -> None:
        """LiteLLM logged a successful call (after the reply was sent; a stream: at its end)."""
        if not self.enabled:
            return
        metadata = request_metadata.logged(kwargs)
        if is_audit_call(metadata) or is_inner_call(metadata):
            return
        pending = self._waiting.pop(_call_id(kwargs), None)
        if pending is not None:
            jobs, labels = cascade_work(pending.config, pending.plan, pending.messages, pending.params, pending.report)
            self._emit(labels)
            for job in jobs:
                self.submit(job, pending.config.audit, metadata, _call_id(kwargs))
        elif route is not None and route.get("group") in self.groups:
            from ..routing.audit_routing import routed_job

            group = str(route["group"])
            job = routed_job(self.groups[group].audit, route, kwargs, response)  # type: ignore[arg-type]
            if job is not None:
                self.submit(job, self.groups[group].audit, metadata, _call_id(kwargs))

    def after_failure(self, kwargs: Mapping[str, Any]) -> None:
        self._waiting.pop(_call_id(kwargs), None)

    # ---- running audits ----
    def submit(self, job: AuditJob, audit: AuditConfig | None, parent: Mapping[str, Any], call_id: str) -> bool:
        timeout = audit.timeout if audit is not None else 60.0
        parent = dict(parent)
        return self.runner(job.paid).submit(job.scope, lambda: self._execute(job, audit, parent, call_id), timeout)

    async def _execute(
        self, job: AuditJob, audit: AuditConfig | None, parent: dict[str, Any], call_id: str
    ) -> AuditResult:
        caller = judge = None
        admission = None
        identity: dict[str, Any] = {}
        try:
            if job.paid or job.judge:
                billed = await self.billing.identity(audit.billing_key) if audit and audit.billing_key else None
                identity = billed or caller_identity(parent)
                marker = {"scope": job.scope, "arm": job.arm, "parent_call_id": call_id}
                router = proxy_router()
                if job.paid:
                    admission = await admit_audit(job, identity)  # its worst case, reserved (issue 21)
                    if admission is None:
                        self.metrics.dropped(job.scope, "budget")
                        return AuditResult("failed", "refused by the budget")
                    caller = AuditCaller(router, call_metadata(identity, TOP_ORIGIN, marker), admission)
                if job.judge and audit is not None and audit.judge is not None:
                    judge = RouterPairJudge(
                        router, audit.judge, call_metadata(identity, JUDGE_ORIGIN, marker), audit.timeout
                    )
            result = await run_audit(job, caller, judge, self.rng)
        finally:
            await settle_audit(admission)  # what a failed, timed-out or cancelled call still holds
        await self.record(job, result)
        return result

    async def record(self, job: AuditJob, result: AuditResult) -> None:
        scope, tier = job.scope, tier_label(job.arm)
        if result.outcome == "failed":
            self.metrics.dropped(scope, "failed")
            self.metrics.cost(scope, result.cost)
            log.info("litellm_fusion: audit of %s %s gave no outcome: %s", scope, job.arm, result.reason)
            return
        if job.source == "audit":
            self.metrics.audit(scope, tier, result.outcome, result.cost)
            await self.book.record(scope, job.arm, result.outcome, result.cost)
        else:
            self.metrics.escalation_check(scope, tier, result.outcome)
        if result.outcome != "undecided":
            self._emit([Label(scope, job.arm, job.messages, result.outcome == "agree", job.source)])

    def _emit(self, labels: list[Label]) -> None:
        if not labels or isinstance(self.labels, NoLabels):
            return
        sink = self.labels

        async def emit() -> None:
            for label in labels:
                await sink.observe(label)

        task = asyncio.get_running_loop().create_task(emit())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _changed(self, scope: str, arm: str, change: GuardChange) -> None:
        """One log line and the gauge, per guardrail change (per replica)."""
        self.metrics.guardrail(scope, tier_label(arm), change.tripped)
        log.warning(
            "litellm_fusion: audit guardrail %s for %s %s: %s",
            "TRIPPED" if change.tripped else "released",
            scope,
            arm,
            change.reason,
        )

    async def join(self) -> None:
        """Wait for every audit submitted so far (tests, benchmarks)."""
        for runner in list(self._runners.values()):
            await runner.join()

    def shutdown(self) -> None:
        """The proxy is shutting down (adapter/guards/shutdown_hook.py): cancel every audit still running or waiting,
        count each (`shutdown`) and say so in one log line."""
        cancelled: dict[str, int] = {}
        for runner in self._runners.values():
            for scope, n in runner.cancel_all().items():
                cancelled[scope] = cancelled.get(scope, 0) + n
        if cancelled:
            log.warning(
                "litellm_fusion: proxy shutdown: cancelled %d audit(s) in flight (%s); counted in "
                'litellm_fusion_audits_dropped_total{reason="shutdown"}',
                sum(cancelled.values()),
                ", ".join(f"{scope}: {n}" for scope, n in sorted(cancelled.items())),
            )

    async def close(self) -> None:
        for runner in self._runners.values():
            await runner.close()
        await self.book.close()


def _call_id(kwargs: Mapping[str, Any]) -> str:
    return str(kwargs.get("litellm_call_id") or (kwargs.get("litellm_params") or {}).get("litellm_call_id") or "")
