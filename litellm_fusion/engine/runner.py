"""The fusion engine: panel rounds, then the judge. Pure asyncio; inner calls go through a Caller.

- best-of: one panel round; the judge's verdict picks a candidate, returned verbatim.
- merge:   one panel round; the judge writes the answer.
- debate:  round 1 independent answers; in rounds 2..N every member still in the debate sees its own
           last answer and the others' latest answers (anonymised) and revises; the judge settles.
           A member that fails in a later round leaves the debate; its last answer stays a candidate.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from ..config.fusion import FusionMode, FusionModelConfig
from .calls import Deadline, PanelCall, Quorum, run_panel, timed_call
from .judge import JudgeCacheUse, run_judge
from .prompts import debate_revision_messages
from .types import CallRecord, Caller, Candidate, FusionError, FusionResult, JudgeResult, Message


class FusionEngine:
    def __init__(self, config: FusionModelConfig, caller: Caller, judge_cache: JudgeCacheUse | None = None) -> None:
        self.config = config
        self.caller = caller
        self.judge_cache = judge_cache
        self.quorum = Quorum(config.quorum, config.straggler_timeout) if config.quorum else None
        self.completed: list[CallRecord] = []  # member calls finished so far (billing if the request is cancelled)

    async def run(self, messages: list[Message], params: dict[str, Any]) -> FusionResult:
        """`params` are the request's generation parameters, passed to every member (and to the
        judge where it writes the answer). Raises FusionError when too few members answer."""
        cfg = self.config
        started = time.monotonic()
        deadline = Deadline(cfg.deadline)
        calls: list[CallRecord] = []

        first = [PanelCall(i, m, list(messages)) for i, m in enumerate(cfg.panel)]
        latest: dict[int, Candidate] = {}
        results = await run_panel(self.caller, first, params, cfg.member_timeout, deadline, 1, self.quorum, self.completed)
        _collect(results, calls, latest)
        if len(latest) < cfg.min_panel:
            raise FusionError(self._too_few_message(len(latest), calls), status=_failure_status(calls), calls=calls)

        rounds_run = 1
        if cfg.mode is FusionMode.DEBATE:
            rounds_run = await self._debate(messages, params, deadline, latest, calls)

        cands = [latest[i] for i in sorted(latest)]
        step = await run_judge(self.caller, cfg, messages, cands, params, deadline, rounds_run, self.judge_cache)
        if step.record is not None:
            calls.append(step.record)
        judge = step.result
        chosen = None if judge.text is not None else cands[judge.winner or 0]
        if chosen is None:
            answer, finish_reason = judge.text or "", step.finish_reason
        else:
            answer, finish_reason = chosen.text, chosen.finish_reason
        return FusionResult(
            mode=cfg.mode.value,
            answer=answer,
            candidates=cands,
            judge=judge,
            calls=calls,
            rounds=rounds_run,
            finish_reason=finish_reason,
            winner=chosen,
            elapsed_s=time.monotonic() - started,
        )

    async def _debate(
        self,
        messages: Sequence[Message],
        params: dict[str, Any],
        deadline: Deadline,
        latest: dict[int, Candidate],
        calls: list[CallRecord],
    ) -> int:
        cfg = self.config
        active = sorted(latest)
        rounds_run = 1
        for round_no in range(2, cfg.rounds + 1):
            if len(active) < 2 or deadline.remaining() <= 0:
                break
            snapshot = dict(latest)
            revisions = [
                PanelCall(
                    i,
                    cfg.panel[i],
                    debate_revision_messages(messages, snapshot[i].text, [snapshot[j] for j in active if j != i]),
                )
                for i in active
            ]
            results = await run_panel(
                self.caller, revisions, params, cfg.member_timeout, deadline, round_no, self.quorum, self.completed
            )
            rounds_run = round_no
            active = _collect(results, calls, latest)
        return rounds_run

    async def run_single(self, model: str, messages: list[Message], params: dict[str, Any], reason: str) -> FusionResult:
        """One deployment answers alone (complexity gate). If it fails, the full panel is fused instead."""
        cfg = self.config
        started = time.monotonic()
        record, completion = await timed_call(
            self.caller, model=model, messages=list(messages), params=params, timeout=cfg.member_timeout,
            deadline=Deadline(cfg.deadline), role="member", round_no=1, step="gated single call",
        )
        if completion is None:
            result = await self.run(messages, params)
            result.calls.insert(0, record)
            result.judge.reason = f"{result.judge.reason} (gate chose {model}, which failed: fused instead)"
            return result
        answer = Candidate(-1, model, completion.text)
        return FusionResult(
            mode=cfg.mode.value,
            answer=completion.text,
            candidates=[answer],
            judge=JudgeResult("skipped", reason, winner=0),
            calls=[record],
            finish_reason=completion.finish_reason,
            winner=answer,
            elapsed_s=time.monotonic() - started,
        )

    def _too_few_message(self, answered: int, calls: Sequence[CallRecord]) -> str:
        cfg = self.config
        errors = "; ".join(f"{c.model}: {c.error}" for c in calls if not c.ok)
        if answered == 0:
            return f"{cfg.name}: all {len(cfg.panel)} panel members failed ({errors})"
        return f"{cfg.name}: only {answered} of {len(cfg.panel)} panel members answered, min_panel is {cfg.min_panel} ({errors})"


def _failure_status(calls: Sequence[CallRecord]) -> int:
    """400 when every failed member was refused for the request itself (a 4xx other than 408/429,
    e.g. a prompt over every context window): the client must change the request. Otherwise 502."""
    statuses = [c.status for c in calls if not c.ok]
    if statuses and all(s is not None and 400 <= s < 500 and s not in (408, 429) for s in statuses):
        return 400
    return 502


def _collect(results: Sequence[Any], calls: list[CallRecord], latest: dict[int, Candidate]) -> list[int]:
    """Record a round's calls; each member that answered becomes its latest candidate. Returns those
    members."""
    answered: list[int] = []
    for call, record, completion in results:
        calls.append(record)
        if completion is not None:
            latest[call.member] = Candidate(call.member, call.model, completion.text, completion.finish_reason)
            answered.append(call.member)
    return answered
