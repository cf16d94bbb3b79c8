"""The fusion engine: panel rounds, then the judge; or a cascade of tiers. Pure asyncio; calls go through a Caller.

- best-of: one panel round; the judge's verdict picks a candidate, returned verbatim.
- merge:   one panel round; the judge writes the answer.
- debate:  round 1 independent answers; in rounds 2..N every member still in the debate sees its own
           last answer and the others' latest answers (anonymised) and revises; the judge settles.
           A member that fails in a later round leaves the debate; its last answer stays a candidate.
- cascade: tiers cheapest first, each accepted or escalated (engine/cascade.py).

`events(..., live=True)` is the streamed form: it yields the answer's text as it becomes available (a writing
judge's tokens as they arrive, a chosen answer at once) and the FusionResult last; `run` is the same events
collected, with no inner call streamed.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from ..config.fusion import FusionMode, FusionModelConfig
from .calls import Deadline, PanelCall, Quorum, run_panel, streamed_call, timed_call
from .cascade import cascade_events
from .judge import JudgeCacheUse, JudgeStep, judge_events, midstream_notice
from .prompts import debate_revision_messages
from .types import (
    Caller,
    CallRecord,
    Candidate,
    FusionError,
    FusionResult,
    JudgeResult,
    Ledger,
    Message,
    invalid_tool_call,
)

Event = str | FusionResult


async def collect(events: AsyncIterator[Event]) -> FusionResult:
    result: FusionResult | None = None
    async for event in events:
        if isinstance(event, FusionResult):
            result = event
    assert result is not None, "the engine ended without a result"
    return result


class FusionEngine:
    def __init__(self, config: FusionModelConfig, caller: Caller, judge_cache: JudgeCacheUse | None = None) -> None:
        self.config = config
        self.caller = caller
        self.judge_cache = judge_cache
        self.quorum = Quorum(config.quorum, config.straggler_timeout) if config.quorum else None
        self.completed = Ledger()  # every inner call finished so far (billing if the request is cancelled)

    async def run(self, messages: list[Message], params: dict[str, Any]) -> FusionResult:
        """`params` are the request's generation parameters, passed to every member (and to the judge where
        it writes the answer). Raises FusionError when too few members answer."""
        return await collect(self.events(messages, params, live=False))

    async def events(
        self,
        messages: list[Message],
        params: dict[str, Any],
        live: bool,
        skip: Mapping[int, str] | None = None,
        refuse: Mapping[int, str] | None = None,
    ) -> AsyncIterator[Event]:
        """`skip`: cascade tiers not to run, with the reason (the classifier's start tier); `refuse`: cascade tiers
        whose answer may not be accepted (a tripped audit guardrail), with the reason."""
        if self.config.mode is FusionMode.CASCADE:
            async for event in cascade_events(
                self.config, self.caller, messages, params, live, self.completed, skip, self.judge_cache, refuse
            ):
                yield event
            return
        cfg = self.config
        started = time.monotonic()
        deadline = Deadline(cfg.deadline)
        calls: list[CallRecord] = []

        first = [PanelCall(i, m, list(messages)) for i, m in enumerate(cfg.panel)]
        latest: dict[int, Candidate] = {}
        results = await run_panel(
            self.caller, first, params, cfg.member_timeout, deadline, 1, self.quorum, self.completed
        )
        _collect(results, calls, latest)
        if len(latest) < cfg.min_panel:
            raise FusionError(self._too_few_message(len(latest), calls), status=_failure_status(calls), calls=calls)

        rounds_run = 1
        if cfg.mode is FusionMode.DEBATE:
            rounds_run = await self._debate(messages, params, deadline, latest, calls)

        cands = [latest[i] for i in sorted(latest)]
        step: JudgeStep | None = None
        async for item in judge_events(
            self.caller, cfg, messages, cands, params, deadline, rounds_run, self.judge_cache, live, self.completed
        ):
            if isinstance(item, str):
                yield item
            else:
                step = item
        assert step is not None
        if step.record is not None:
            calls.append(step.record)
        judge = step.result
        chosen = None if judge.text is not None else cands[judge.winner or 0]
        if chosen is None:
            answer, finish_reason, tool_calls = judge.text or "", step.finish_reason, judge.tool_calls
        else:
            if live and chosen.text:
                yield chosen.text
            answer, tool_calls = step.sent + chosen.text, chosen.tool_calls
            finish_reason = "tool_calls" if tool_calls else chosen.finish_reason
        yield FusionResult(
            mode=cfg.mode.value,
            answer=answer,
            candidates=cands,
            judge=judge,
            calls=calls,
            rounds=rounds_run,
            finish_reason=finish_reason,
            winner=chosen,
            elapsed_s=time.monotonic() - started,
            tool_calls=tool_calls,
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
                    debate_revision_messages(messages, snapshot[i], [snapshot[j] for j in active if j != i]),
                )
                for i in active
            ]
            results = await run_panel(
                self.caller, revisions, params, cfg.member_timeout, deadline, round_no, self.quorum, self.completed
            )
            rounds_run = round_no
            active = _collect(results, calls, latest)
        return rounds_run

    async def single_events(
        self, model: str, messages: list[Message], params: dict[str, Any], reason: str, live: bool
    ) -> AsyncIterator[Event]:
        """One deployment answers alone (complexity gate), streamed when `live`. If it fails, the full panel is
        fused instead (after a notice, should part of its answer have gone out already)."""
        cfg = self.config
        started = time.monotonic()
        sent = ""
        record, completion = None, None
        async for item in (
            streamed_call(
                self.caller,
                model=model,
                messages=list(messages),
                params=params,
                timeout=cfg.member_timeout,
                deadline=Deadline(cfg.deadline),
                role="member",
                round_no=1,
                step="gated single call",
                ledger=self.completed,
            )
            if live
            else _one(self, model, messages, params)
        ):
            if isinstance(item, str):
                sent += item
                yield item
            else:
                record, completion = item
        assert record is not None
        if completion is None:
            if sent:
                notice = midstream_notice(record.error or "failed", "the fused panel")
                sent += notice
                yield notice
            result: FusionResult | None = None
            async for event in self.events(messages, params, live):
                if isinstance(event, FusionResult):
                    result = event
                else:
                    yield event
            assert result is not None
            result.calls.insert(0, record)
            result.answer = sent + result.answer
            result.judge.reason = f"{result.judge.reason} (gate chose {model}, which failed: fused instead)"
            yield result
            return
        answer = Candidate.of(-1, model, completion)
        yield FusionResult(
            mode=cfg.mode.value,
            answer=sent or completion.text,
            candidates=[answer],
            judge=JudgeResult("skipped", reason, winner=0),
            calls=[record],
            finish_reason="tool_calls" if completion.tool_calls else completion.finish_reason,
            winner=answer,
            elapsed_s=time.monotonic() - started,
            tool_calls=completion.tool_calls,
        )

    def _too_few_message(self, answered: int, calls: Sequence[CallRecord]) -> str:
        cfg = self.config
        errors = "; ".join(f"{c.model}: {c.error}" for c in calls if not c.ok)
        if answered == 0:
            return f"{cfg.name}: all {len(cfg.panel)} panel members failed ({errors})"
        return f"{cfg.name}: only {answered} of {len(cfg.panel)} panel members answered, min_panel is {cfg.min_panel} ({errors})"


async def _one(engine: FusionEngine, model: str, messages: list[Message], params: dict[str, Any]) -> AsyncIterator[Any]:
    """The gated single call, not streamed, shaped like streamed_call's last item."""
    cfg = engine.config
    yield await timed_call(
        engine.caller,
        model=model,
        messages=list(messages),
        params=params,
        timeout=cfg.member_timeout,
        deadline=Deadline(cfg.deadline),
        role="member",
        round_no=1,
        step="gated single call",
        ledger=engine.completed,
    )


def _failure_status(calls: Sequence[CallRecord]) -> int:
    """400 when every failed member was refused for the request itself (a 4xx other than 408/429,
    e.g. a prompt over every context window): the client must change the request. Otherwise 502."""
    statuses = [c.status for c in calls if not c.ok]
    if statuses and all(s is not None and 400 <= s < 500 and s not in (408, 429) for s in statuses):
        return 400
    return 502


def _collect(results: Sequence[Any], calls: list[CallRecord], latest: dict[int, Candidate]) -> list[int]:
    """Record a round's calls; each member that answered with a usable message becomes its latest candidate
    (tool calls whose arguments are not JSON make an answer unusable: recorded as a failed call, its cost
    kept). Returns the members that answered."""
    answered: list[int] = []
    for call, record, completion in results:
        calls.append(record)
        if completion is None:
            continue
        invalid = invalid_tool_call(completion.tool_calls)
        if invalid is not None:
            record.ok, record.error = False, f"unusable answer: {invalid}"
            continue
        latest[call.member] = Candidate.of(call.member, call.model, completion)
        answered.append(call.member)
    return answered
