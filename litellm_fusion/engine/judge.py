"""The judge step: pick (best-of) or write (merge, debate) the final answer, with a documented fallback.

Fallback, in every mode: when the judge call fails, times out or returns an unusable verdict or an
empty answer, the reply is the first surviving candidate in panel order, and the judge outcome is
`fallback` with the reason. With a single surviving candidate the judge is skipped (outcome `skipped`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..config.fusion import FusionMode, FusionModelConfig
from .agreement import agreement
from .calls import Deadline, timed_call
from .judge_cache import JudgeStore, decision_key, decode, encode
from .prompts import best_of_prompt, debate_judge_prompt, merge_prompt, strip_fence_markup, verdict_response_format
from .types import CallRecord, Caller, Candidate, JudgeResult, Message
from .verdict import VerdictError, parse_verdict


def clean_answer(text: str) -> str:
    return strip_fence_markup(text).strip()


@dataclass
class JudgeStep:
    result: JudgeResult
    record: CallRecord | None
    finish_reason: str = "stop"


def judge_messages(cfg: FusionModelConfig, messages: Sequence[Message], cands: Sequence[Candidate], rounds: int) -> list[Message]:
    if cfg.mode is FusionMode.BEST_OF:
        return best_of_prompt(messages, cands)
    if cfg.mode is FusionMode.MERGE:
        return merge_prompt(messages, cands)
    return debate_judge_prompt(messages, cands, rounds)


def judge_params(cfg: FusionModelConfig, answer_params: dict[str, Any]) -> dict[str, Any]:
    """best-of: a short JSON verdict; merge/debate: the judge writes the answer, so the request's
    output parameters (max_tokens, stop, response_format, ...) apply to it."""
    if cfg.mode is FusionMode.BEST_OF:
        params: dict[str, Any] = {}
        fmt = verdict_response_format(cfg.judge_response_format.value)
        if fmt is not None:
            params["response_format"] = fmt
    else:
        params = dict(answer_params)
    params["temperature"] = cfg.judge_temperature
    if cfg.judge_max_tokens is not None:
        params.pop("max_completion_tokens", None)
        params["max_tokens"] = cfg.judge_max_tokens
    return params


@dataclass(frozen=True)
class JudgeCacheUse:
    """The judge cache as one fusion model uses it."""

    store: JudgeStore
    ttl: int


async def run_judge(
    caller: Caller,
    cfg: FusionModelConfig,
    messages: Sequence[Message],
    cands: Sequence[Candidate],
    answer_params: dict[str, Any],
    deadline: Deadline,
    rounds: int,
    cache: JudgeCacheUse | None = None,
) -> JudgeStep:
    """The judge step, through the judge cache when there is one. Only `ok` decisions are cached."""
    if len(cands) == 1:
        return JudgeStep(JudgeResult("skipped", "single surviving candidate", winner=0), None)
    rule = agreement(cands) if cfg.uses_agreement_shortcut else None
    if rule is not None:
        return JudgeStep(JudgeResult("skipped", f"members agree ({rule})", winner=0), None)
    params = judge_params(cfg, answer_params)
    if cache is None:
        return await _call_judge(caller, cfg, messages, cands, params, deadline, rounds)
    key = decision_key(mode=cfg.mode.value, judge=cfg.judge, rounds=rounds, judge_params=params,
                       messages=messages, candidates=cands)
    status, raw = await cache.store.get(key)
    if status == "hit":
        cached = decode(raw, key, len(cands), writes_text=cfg.mode is not FusionMode.BEST_OF)
        if cached is not None:
            return JudgeStep(cached.result, None, cached.finish_reason)
        status = "miss"  # foreign or corrupt value: ignored, and overwritten below
    step = await _call_judge(caller, cfg, messages, cands, params, deadline, rounds)
    step.result.cache = status
    if step.result.outcome == "ok" and status != "unavailable":
        await cache.store.set(key, encode(key, step.result, step.finish_reason), cache.ttl)
    return step


async def _call_judge(
    caller: Caller,
    cfg: FusionModelConfig,
    messages: Sequence[Message],
    cands: Sequence[Candidate],
    params: dict[str, Any],
    deadline: Deadline,
    rounds: int,
) -> JudgeStep:
    record, completion = await timed_call(
        caller,
        model=cfg.judge,
        messages=judge_messages(cfg, messages, cands, rounds),
        params=params,
        timeout=cfg.judge_timeout,
        deadline=deadline,
        role="judge",
        round_no=rounds,
        step="judge",
    )
    if completion is None:
        return JudgeStep(JudgeResult("fallback", f"judge failed: {record.error}", winner=0), record)
    if cfg.mode is FusionMode.BEST_OF:
        try:
            verdict = parse_verdict(completion.text, len(cands))
        except VerdictError as exc:
            return JudgeStep(JudgeResult("fallback", f"unusable verdict: {exc}", winner=0), record)
        return JudgeStep(JudgeResult("ok", verdict.reason, winner=verdict.winner), record, completion.finish_reason)
    answer = clean_answer(completion.text)
    if not answer:
        return JudgeStep(JudgeResult("fallback", "unusable verdict: the judge returned an empty answer", winner=0), record)
    return JudgeStep(JudgeResult("ok", "judge wrote the answer", text=answer), record, completion.finish_reason)
