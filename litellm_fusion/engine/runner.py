"""The fusion engine: runs one request of a fusion model. Pure asyncio; calls go through a Caller.

What a request does is its mode's plan (engine/modes/: one object per mode, looked up in engine/modes/table.py):
panel rounds then the judge, or tiers cheapest first. The engine holds what the plan shares with the request:
the caller, the judge cache, the quorum and the ledger of completed calls. `single_events` is the complexity
gate's single call, with the fused panel as its fallback.

`events(..., live=True)` is the streamed form: it yields the answer's text as it becomes available (a writing
judge's tokens as they arrive, a chosen answer at once) and the FusionResult last; `run` is the same events
collected, with no inner call streamed.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

from ..config.fusion import FusionModelConfig
from .calls import Deadline, Quorum, streamed_call, timed_call
from .judge import midstream_notice
from .judge_cache import JudgeCacheUse
from .modes.base import Event
from .modes.table import mode_of
from .records import Caller, Candidate, FusionResult, JudgeResult, Ledger, Message


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
        self.mode = mode_of(config)
        self.caller = caller
        self.judge_cache = judge_cache
        self.quorum = Quorum(config.quorum, config.straggler_timeout) if config.quorum else None
        self.completed = Ledger()  # every inner call finished so far (billing if the request is cancelled)
        self.converged = False  # a mode with rounds stopped before its last because the members agreed

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
        """`skip`: tiers not to run, with the reason (the classifier's start tier); `refuse`: tiers
        whose answer may not be accepted (a tripped audit guardrail), with the reason."""
        async for event in self.mode.events(self, messages, params, live, skip, refuse):
            yield event

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
