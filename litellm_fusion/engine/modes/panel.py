"""The steps and the cost every panel mode shares: a panel round, any further rounds (the mode's), then the judge.

Cost (docs/fusion.md, the cost cap), with P = prompt tokens, M = the request's max_tokens (else
ASSUMED_OUTPUT_TOKENS), n = panel size: every member P input + M output per round, each round after the first
P + n*M + REVISION_OVERHEAD input; the judge P + n*M + JUDGE_OVERHEAD input and judge_max_tokens output (else
VERDICT_TOKENS for a judge that picks, M for one that writes). Shrink: drop the most expensive members, never
below min_panel.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from ...config.fusion import FusionModelConfig
from ..calls import Deadline, PanelCall, run_panel
from ..judge import JudgeStep, judge_events
from ..records import CallRecord, Candidate, FusionError, FusionResult, Message, invalid_tool_call
from .base import (
    ASSUMED_OUTPUT_TOKENS,
    JUDGE_OVERHEAD,
    REVISION_OVERHEAD,
    VERDICT_TOKENS,
    CostEstimate,
    EngineState,
    Event,
    Mode,
    Prices,
)


class PanelMode(Mode):
    async def more_rounds(
        self,
        engine: EngineState,
        messages: Sequence[Message],
        params: dict[str, Any],
        deadline: Deadline,
        latest: dict[int, Candidate],
        calls: list[CallRecord],
    ) -> int:
        """Rounds after the first (updating `latest` and `calls`); returns the number of rounds run."""
        return 1

    async def events(
        self,
        engine: EngineState,
        messages: list[Message],
        params: dict[str, Any],
        live: bool,
        skip: Mapping[int, str] | None = None,
        refuse: Mapping[int, str] | None = None,
    ) -> AsyncIterator[Event]:
        cfg = engine.config
        started = time.monotonic()
        deadline = Deadline(cfg.deadline)
        calls: list[CallRecord] = []

        first = [PanelCall(i, m, list(messages)) for i, m in enumerate(cfg.panel)]
        latest: dict[int, Candidate] = {}
        results = await run_panel(
            engine.caller, first, params, cfg.member_timeout, deadline, 1, engine.quorum, engine.completed
        )
        collect_round(results, calls, latest)
        if len(latest) < cfg.min_panel:
            raise FusionError(too_few_message(cfg, len(latest), calls), status=failure_status(calls), calls=calls)

        rounds_run = await self.more_rounds(engine, messages, params, deadline, latest, calls)

        cands = [latest[i] for i in sorted(latest)]
        step: JudgeStep | None = None
        async for item in judge_events(
            engine.caller,
            cfg,
            self,
            messages,
            cands,
            params,
            deadline,
            rounds_run,
            engine.judge_cache,
            live,
            engine.completed,
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
            converged=engine.converged,
            finish_reason=finish_reason,
            winner=chosen,
            elapsed_s=time.monotonic() - started,
            tool_calls=tool_calls,
        )

    def lineup(self, cfg: FusionModelConfig) -> dict[str, Any]:
        return {"panel": list(cfg.panel)}

    def worst_case(
        self, cfg: FusionModelConfig, lineup: Sequence[Any], prompt_tokens: int, max_output: int | None, prices: Prices
    ) -> float:
        m = max_output or ASSUMED_OUTPUT_TOKENS
        n = len(lineup)
        total = 0.0
        for member in lineup:
            price_in, price_out = prices(member)
            total += prompt_tokens * price_in + m * price_out
            for _ in range(2, cfg.rounds + 1):
                total += (prompt_tokens + n * m + REVISION_OVERHEAD) * price_in + m * price_out
        if n > 1:
            judge_in, judge_out = prices(cfg.judge)
            verdict = VERDICT_TOKENS if self.picks_verbatim else m
            total += (prompt_tokens + n * m + JUDGE_OVERHEAD) * judge_in + (cfg.judge_max_tokens or verdict) * judge_out
        return total

    def fit_cost(
        self, cfg: FusionModelConfig, prompt_tokens: int, max_output: int | None, prices: Prices
    ) -> CostEstimate:
        panel = list(cfg.panel)
        estimate = self.worst_case(cfg, panel, prompt_tokens, max_output, prices)
        cap = cfg.max_cost_per_request
        if cap is not None and estimate > cap and cfg.cost_cap_action == "shrink":
            while estimate > cap and len(panel) > cfg.min_panel:
                costliest = max(range(len(panel)), key=lambda i: (sum(prices(panel[i])), i))
                panel.pop(costliest)
                estimate = self.worst_case(cfg, panel, prompt_tokens, max_output, prices)
        quorum = min(cfg.quorum, len(panel)) if cfg.quorum else None
        return CostEstimate(estimate, {"panel": panel, "quorum": quorum}, {"panel": panel})


def too_few_message(cfg: FusionModelConfig, answered: int, calls: Sequence[CallRecord]) -> str:
    errors = "; ".join(f"{c.model}: {c.error}" for c in calls if not c.ok)
    if answered == 0:
        return f"{cfg.name}: all {len(cfg.panel)} panel members failed ({errors})"
    return f"{cfg.name}: only {answered} of {len(cfg.panel)} panel members answered, min_panel is {cfg.min_panel} ({errors})"


def failure_status(calls: Sequence[CallRecord]) -> int:
    """400 when every failed member was refused for the request itself (a 4xx other than 408/429,
    e.g. a prompt over every context window): the client must change the request. Otherwise 502."""
    statuses = [c.status for c in calls if not c.ok]
    if statuses and all(s is not None and 400 <= s < 500 and s not in (408, 429) for s in statuses):
        return 400
    return 502


def collect_round(results: Sequence[Any], calls: list[CallRecord], latest: dict[int, Candidate]) -> list[int]:
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
