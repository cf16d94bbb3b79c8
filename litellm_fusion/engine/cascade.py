"""A cascade: the panel round run tier by tier, cheapest first, with an acceptance step between tiers.

Each tier's calls run concurrently (member timeout, quorum and straggler cutoff, the request deadline, the
ledger of completed calls: `calls.run_panel`, as a fusion panel). Its answer is accepted when the tier's
checks pass (engine/acceptance.py); otherwise the next tier runs. The last tier's answer is always accepted
(its largest group of agreeing answers, first answer first). Should every call of the last tier fail, the
answer of the highest earlier tier that had a usable one is returned instead (outcome degraded); with none,
the request fails.

Tiers in `skip` (the classifier's start tier, adapter/fusion/policies.py) are reported, escalated with code
`skipped`, and not run. Tiers in `refuse` (a tripped audit guardrail) run and are checked as usual, but an answer
they would accept escalates with code `guardrail`; it stays in the tier's report for the audit to compare.

Streamed (`live`): an accepted answer is sent at once; a last tier of one call streams as it is written.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from ..config.cascade import TierConfig, VerifierConfig
from ..config.fusion import FusionModelConfig
from .acceptance import accept_tier, unusable
from .answers import AnswerContract, clusters, request_contract
from .calls import Deadline, PanelCall, Quorum, run_panel, streamed_call
from .judge import midstream_notice
from .judge_cache import JudgeCacheUse
from .records import (
    Caller,
    CallRecord,
    Candidate,
    CascadeReport,
    CheckResult,
    Completion,
    FusionError,
    FusionResult,
    JudgeResult,
    Ledger,
    Message,
    TierReport,
)
from .verifier import verify_answer


def _tier_params(tier: TierConfig, params: dict[str, Any]) -> dict[str, Any]:
    temperature = tier.temperature(params.get("temperature"))
    return params if temperature is None else {**params, "temperature": temperature}


def _answers(results: Sequence[tuple[PanelCall, CallRecord, Completion | None]]) -> tuple[list[Candidate], list[str]]:
    answers = [Candidate.of(call.member, call.model, c) for call, _, c in results if c is not None]
    failures = [f"{call.model}: {record.error}" for call, record, c in results if c is None]
    return answers, failures


async def _last_tier_answer(answers: Sequence[Candidate], contract: AnswerContract | None) -> Candidate | None:
    """The last tier's answer: the largest group of its usable answers (first first), else its first answer."""
    usable = [c for c in answers if unusable(c) is None]
    if usable:
        return usable[(await clusters(usable, contract))[0].members[0]]
    return answers[0] if answers else None


async def cascade_events(
    cfg: FusionModelConfig,
    caller: Caller,
    messages: list[Message],
    params: dict[str, Any],
    live: bool,
    ledger: Ledger,
    skip: Mapping[int, str] | None = None,
    cache: JudgeCacheUse | None = None,
    refuse: Mapping[int, str] | None = None,
) -> AsyncIterator[str | FusionResult]:
    """`skip`: tiers (1-based, never the last) not to run, each with the reason (classifier skip); `cache`: the
    judge cache, for the verifier's ratings; `refuse`: tiers whose answer may not be accepted, with the reason."""
    started = time.monotonic()
    contract = request_contract(cfg.answer, params, messages)
    deadline = Deadline(cfg.deadline)
    calls: list[CallRecord] = []
    reports: list[TierReport] = []
    candidates: list[Candidate] = []
    fallback: tuple[int, Candidate] | None = None  # the latest escalated tier's answer
    chosen: tuple[int, Candidate] | None = None
    accepted_by = "last tier"
    sent = ""  # text already streamed (a live last tier of one call)
    streamed = False  # the last tier's answer went out as it was written
    last = len(cfg.tiers)
    for t, tier in enumerate(cfg.tiers, start=1):
        report = TierReport(t, list(tier.models))
        reports.append(report)
        if skip and t in skip and t != last:
            report.escalated, report.code = skip[t], "skipped"
            continue
        tier_params = _tier_params(tier, params)
        models = tier.call_models()
        if t == last and live and len(models) == 1:
            record, completion = None, None
            async for item in streamed_call(
                caller,
                model=models[0],
                messages=list(messages),
                params=tier_params,
                timeout=cfg.member_timeout,
                deadline=deadline,
                role="member",
                round_no=1,
                step="panel member",
                ledger=ledger,
            ):
                if isinstance(item, str):
                    sent += item
                    yield item
                else:
                    record, completion = item
            assert record is not None
            results = [(PanelCall(0, models[0], messages), record, completion)]
            streamed = completion is not None
        else:
            quorum = Quorum(min(cfg.quorum, len(models)), cfg.straggler_timeout) if cfg.quorum else None
            results = await run_panel(
                caller,
                [PanelCall(i, m, list(messages)) for i, m in enumerate(models)],
                tier_params,
                cfg.member_timeout,
                deadline,
                1,
                quorum,
                ledger,
            )
        for _, record, _ in results:
            record.tier = t
            calls.append(record)
        answers, failures = _answers(results)
        candidates.extend(answers)
        if t == last:
            answer = await _last_tier_answer(answers, contract)
            if answer is None:
                report.escalated, report.code = "every call failed (" + "; ".join(failures) + ")", "failed"
            else:
                report.accepted, chosen, report.answer = True, (t, answer), answer
            break
        verify = None
        if cfg.verifier is not None:

            async def verify(a: Candidate, t: int = t, verifier: VerifierConfig = cfg.verifier) -> CheckResult:
                return await verify_answer(caller, cfg, verifier, messages, a, deadline, t, calls, ledger, cache)

        verdict = await accept_tier(cfg.tier_accept(tier), tier.calls, answers, failures, verify, contract)
        report.checks, report.answer = verdict.checks, verdict.answer
        if verdict.accepted and verdict.answer is not None and refuse and t in refuse:
            verdict.accepted, verdict.escalated, verdict.code = False, f"guardrail: {refuse[t]}", "guardrail"
        if verdict.accepted and verdict.answer is not None:
            report.accepted, chosen, accepted_by = True, (t, verdict.answer), verdict.accepted_by or "accepted"
            break
        report.escalated, report.code = verdict.escalated, verdict.code
        if verdict.answer is not None:
            fallback = (t, verdict.answer)
    if chosen is None:
        if fallback is None:
            errors = "; ".join(f"tier {r.tier}: {r.escalated}" for r in reports)
            raise FusionError(f"{cfg.name}: no tier produced a usable answer ({errors})", status=502, calls=calls)
        chosen, accepted_by = fallback, f"fallback: tier {fallback[0]} (the last tier failed)"
        if sent:  # the last tier died mid-answer: say so, then send the fallback answer whole
            notice = midstream_notice(reports[-1].escalated or "failed", fallback[1].model)
            sent += notice
            yield notice
    tier_no, answer = chosen
    if not (streamed and tier_no == last):
        if live and answer.text:
            yield answer.text
        sent += answer.text
    yield FusionResult(
        mode=cfg.mode.value,
        answer=sent,
        candidates=candidates,
        judge=JudgeResult("skipped", f"cascade: tier {tier_no} answer, accepted by {accepted_by}", winner=0),
        calls=calls,
        finish_reason="tool_calls" if answer.tool_calls else answer.finish_reason,
        winner=answer,
        elapsed_s=time.monotonic() - started,
        tool_calls=answer.tool_calls,
        cascade=CascadeReport(reports, tier_no, accepted_by),
    )
