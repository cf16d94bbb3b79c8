"""A cascade's verifier check: the verifier model rates a tier's answer 0-10 against the request (fenced like
the judge, engine/prompts.py); the answer passes at or above the threshold.

Ratings go through the judge cache when the cascade has one, keyed by what the rating depends on (verifier
model, its parameters, the prompt version, the conversation and the rated answer; not the threshold or the
tier, which only read the rating). A hit costs no call; a failed or unusable rating is never stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..config.cascade import VerifierConfig
from ..config.fusion import FusionModelConfig
from .calls import Deadline, timed_call
from .judge_cache import JudgeCacheUse, decision_key, decode_rating, encode_rating
from .offload import read_text
from .prompts import SCORE_SCHEMA, verdict_response_format, verifier_prompt
from .records import Caller, CallRecord, Candidate, CheckResult, Ledger, Message
from .verdict import Score, VerdictError, parse_score


def _verdict(verifier: VerifierConfig, score: Score, cached: bool) -> CheckResult:
    passed = score.score / 10 >= verifier.threshold - 1e-9
    how = ", cached rating" if cached else ""
    return CheckResult(
        "verifier",
        passed,
        f"{verifier.model} rated {score.score}/10 (threshold {verifier.threshold:g}{how}): {score.reason}",
    )


async def verify_answer(
    caller: Caller,
    cfg: FusionModelConfig,
    verifier: VerifierConfig,
    messages: Sequence[Message],
    answer: Candidate,
    deadline: Deadline,
    tier: int,
    calls: list[CallRecord],
    ledger: Ledger,
    cache: JudgeCacheUse | None = None,
) -> CheckResult:
    params: dict[str, Any] = {"temperature": 0.0}
    fmt = verdict_response_format(cfg.judge_response_format.value, SCORE_SCHEMA, "rating")
    if fmt is not None:
        params["response_format"] = fmt
    if verifier.max_tokens is not None:
        params["max_tokens"] = verifier.max_tokens
    key = None
    if cache is not None:
        key = decision_key(
            mode="cascade-verifier",
            judge=verifier.model,
            rounds=0,
            judge_params=params,
            messages=messages,
            candidates=[answer],
        )
        status, raw = await cache.store.get(key)
        cached = decode_rating(raw, key) if status == "hit" else None
        if cached is not None:
            return _verdict(verifier, cached, cached=True)
    record, completion = await timed_call(
        caller,
        model=verifier.model,
        messages=verifier_prompt(messages, answer),
        params=params,
        timeout=verifier.timeout,
        deadline=deadline,
        role="verifier",
        round_no=1,
        step="verifier",
        ledger=ledger,
    )
    record.tier = tier
    calls.append(record)
    if completion is None:
        return CheckResult("verifier", False, f"verifier failed: {record.error}")
    try:
        score = await read_text(parse_score, completion.text, VerdictError)
    except VerdictError as exc:
        return CheckResult("verifier", False, f"unusable rating: {exc}")
    if cache is not None and key is not None:
        await cache.store.set(key, encode_rating(key, score), cache.ttl)
    return _verdict(verifier, score, cached=False)
