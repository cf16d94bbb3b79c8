"""The judge step: pick a candidate verbatim or write the final answer (as the mode states), with a documented fallback.

Fallback, in every mode: when the judge call fails, times out or returns an unusable verdict, an empty answer
or a tool call whose arguments are not JSON, the reply is the first surviving candidate in panel order, and the
judge outcome is `fallback` with the reason. With a single surviving candidate the judge is skipped (`skipped`).

Streamed (a judge that writes): the judge's text reaches the client as it is written. Should the judge fail after
some of it was sent, the client has already seen that part: the stream goes on with a one-line notice and the
fallback candidate's whole answer, so the reply still ends complete and well-formed (docs/fusion.md, Streaming).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config.fusion import FusionModelConfig
from .answers import agreement, request_contract
from .calls import Deadline, streamed_call, timed_call
from .judge_cache import JudgeCacheUse, decision_key, decode, encode
from .offload import read_text
from .prompts import strip_fence_markup, verdict_response_format
from .records import Caller, CallRecord, Candidate, Completion, JudgeResult, Ledger, Message, invalid_tool_call
from .verdict import VerdictError, parse_verdict

if TYPE_CHECKING:
    from .modes.base import Mode


def clean_answer(text: str) -> str:
    return strip_fence_markup(text).strip()


@dataclass
class JudgeStep:
    result: JudgeResult
    record: CallRecord | None
    finish_reason: str = "stop"
    sent: str = ""  # text already streamed to the client when the judge failed mid-answer


def midstream_notice(reason: str, model: str) -> str:
    """What a streaming client reads between a judge's partial answer and the fallback answer."""
    return f"\n\n[fusion: the judge stopped mid-answer ({reason}); the answer of {model} follows in full]\n\n"


def judge_params(cfg: FusionModelConfig, picks: bool, answer_params: dict[str, Any]) -> dict[str, Any]:
    """A judge that picks: a short JSON verdict; one that writes the answer: the request's output parameters
    (max_tokens, stop, response_format, ...) apply to it."""
    if picks:
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


async def run_judge(
    caller: Caller,
    cfg: FusionModelConfig,
    mode: Mode,
    messages: Sequence[Message],
    cands: Sequence[Candidate],
    answer_params: dict[str, Any],
    deadline: Deadline,
    rounds: int,
    cache: JudgeCacheUse | None = None,
    ledger: Ledger | None = None,
) -> JudgeStep:
    """The judge step, not streamed."""
    step: JudgeStep | None = None
    async for item in judge_events(
        caller, cfg, mode, messages, cands, answer_params, deadline, rounds, cache, False, ledger
    ):
        if isinstance(item, JudgeStep):
            step = item
    assert step is not None
    return step


async def judge_events(
    caller: Caller,
    cfg: FusionModelConfig,
    mode: Mode,
    messages: Sequence[Message],
    cands: Sequence[Candidate],
    answer_params: dict[str, Any],
    deadline: Deadline,
    rounds: int,
    cache: JudgeCacheUse | None,
    live: bool,
    ledger: Ledger | None = None,
) -> AsyncIterator[str | JudgeStep]:
    """The judge step, through the judge cache when there is one (only `ok` decisions are cached). `live`: a
    judge that writes the answer streams it, yielding its text deltas; the JudgeStep comes last."""
    if len(cands) == 1:
        yield JudgeStep(JudgeResult("skipped", "single surviving candidate", winner=0), None)
        return
    rule = (
        await agreement(cands, request_contract(cfg.answer, answer_params, messages))
        if cfg.uses_agreement_shortcut
        else None
    )
    if rule is not None:
        yield JudgeStep(JudgeResult("skipped", f"members agree ({rule})", winner=0), None)
        return
    params = judge_params(cfg, mode.picks_verbatim, answer_params)
    writes_text = not mode.picks_verbatim
    key, status = None, "off"
    if cache is not None:
        key = decision_key(
            mode=cfg.mode.value,
            judge=cfg.judge,
            rounds=rounds,
            judge_params=params,
            messages=messages,
            candidates=cands,
        )
        status, raw = await cache.store.get(key)
        if status == "hit":
            cached = decode(raw, key, len(cands), writes_text=writes_text)
            if cached is not None:
                yield JudgeStep(cached.result, None, cached.finish_reason)
                return
            status = "miss"  # foreign or corrupt value: ignored, and overwritten below
    prompt = mode.judge_prompt(messages, cands, rounds, bool(answer_params.get("tools")))
    step: JudgeStep | None = None
    if live and writes_text:
        async for item in _stream_judge(caller, cfg, prompt, cands, params, deadline, rounds, ledger):
            if isinstance(item, str):
                yield item
            else:
                step = item
    else:
        step = await _call_judge(caller, cfg, writes_text, prompt, len(cands), params, deadline, rounds, ledger)
    assert step is not None
    if cache is not None and key is not None:
        step.result.cache = status
        if step.result.outcome == "ok" and status != "unavailable":
            await cache.store.set(key, encode(key, step.result, step.finish_reason), cache.ttl)
    yield step


def _judge_call(
    cfg: FusionModelConfig,
    prompt: list[Message],
    params: dict[str, Any],
    deadline: Deadline,
    rounds: int,
    ledger: Ledger | None,
) -> dict[str, Any]:
    return {
        "model": cfg.judge,
        "messages": prompt,
        "params": params,
        "timeout": cfg.judge_timeout,
        "deadline": deadline,
        "role": "judge",
        "round_no": rounds,
        "step": "judge",
        "ledger": ledger,
    }


async def _call_judge(
    caller: Caller,
    cfg: FusionModelConfig,
    writes_text: bool,
    prompt: list[Message],
    n_candidates: int,
    params: dict[str, Any],
    deadline: Deadline,
    rounds: int,
    ledger: Ledger | None,
) -> JudgeStep:
    record, completion = await timed_call(caller, **_judge_call(cfg, prompt, params, deadline, rounds, ledger))
    if completion is None:
        return JudgeStep(JudgeResult("fallback", f"judge failed: {record.error}", winner=0), record)
    if not writes_text:
        try:
            verdict = await read_text(lambda text: parse_verdict(text, n_candidates), completion.text, VerdictError)
        except VerdictError as exc:
            return JudgeStep(JudgeResult("fallback", f"unusable verdict: {exc}", winner=0), record)
        return JudgeStep(JudgeResult("ok", verdict.reason, winner=verdict.winner), record, completion.finish_reason)
    return _written_answer(completion, record)


def _written_answer(completion: Completion, record: CallRecord) -> JudgeStep:
    """A writing judge's answer: its text and/or tool calls, or a fallback when it is unusable."""
    answer = clean_answer(completion.text)
    invalid = invalid_tool_call(completion.tool_calls)
    if invalid is not None:
        return JudgeStep(JudgeResult("fallback", f"unusable answer: the judge's {invalid}", winner=0), record)
    if not answer and not completion.tool_calls:
        return JudgeStep(
            JudgeResult("fallback", "unusable verdict: the judge returned an empty answer", winner=0), record
        )
    finish = "tool_calls" if completion.tool_calls else completion.finish_reason
    return JudgeStep(
        JudgeResult("ok", "judge wrote the answer", text=answer, tool_calls=completion.tool_calls), record, finish
    )


async def _stream_judge(
    caller: Caller,
    cfg: FusionModelConfig,
    prompt: list[Message],
    cands: Sequence[Candidate],
    params: dict[str, Any],
    deadline: Deadline,
    rounds: int,
    ledger: Ledger | None,
) -> AsyncIterator[str | JudgeStep]:
    """A writing judge, streamed. The judge's fence markup is not stripped from a stream (it cannot be
    recognised piecewise); the finished answer in the metadata and cache is cleaned as usual."""
    sent: list[str] = []
    record: CallRecord | None = None
    completion: Completion | None = None
    async for item in streamed_call(caller, **_judge_call(cfg, prompt, params, deadline, rounds, ledger)):
        if isinstance(item, str):
            sent.append(item)
            yield item
        else:
            record, completion = item
    assert record is not None
    if completion is None:
        reason = f"judge failed: {record.error}"
        if not sent:
            yield JudgeStep(JudgeResult("fallback", reason, winner=0), record)
            return
        notice = midstream_notice(reason[:200], cands[0].model)
        yield notice
        result = JudgeResult("fallback", f"{reason} (after {sum(map(len, sent))} characters were streamed)", winner=0)
        yield JudgeStep(result, record, sent="".join(sent) + notice)
        return
    step = _written_answer(completion, record)
    if step.result.outcome == "ok":
        step.result.text = "".join(sent) if sent else step.result.text  # what the client received, verbatim
    elif sent:  # text went out, but the answer is unusable (e.g. invalid tool-call JSON after some text)
        notice = midstream_notice(step.result.reason[:200], cands[0].model)
        yield notice
        step.sent = "".join(sent) + notice
    yield step
