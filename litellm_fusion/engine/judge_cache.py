"""Judge decisions (and cascade verifier ratings, engine/verifier.py) keyed by everything they depend on, stored
in a versioned format.

The key covers: mode, judge model, judge prompt version, debate rounds, the judge's parameters,
the conversation and the candidate answers in order (canonical JSON). A stored value names its
format, version and key; anything else found under our prefix is ignored (a miss) and overwritten.
The store itself (Redis, in the adapter) implements `JudgeStore`.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from .prompts import PROMPT_VERSION, render_candidate
from .records import Candidate, JudgeResult, Message, ToolCall, invalid_tool_call
from .verdict import Score

FORMAT = "litellm-fusion/judge-decision"
VALUE_VERSION = 1

CacheStatus = Literal["hit", "miss", "unavailable", "off"]


class JudgeStore(Protocol):
    async def get(self, key: str) -> tuple[CacheStatus, str | None]:
        """("hit", raw value) / ("miss", None) / ("unavailable", None). Never raises."""
        ...

    async def set(self, key: str, value: str, ttl: int) -> bool:
        """Store with a TTL; False if the store is unavailable. Never raises."""
        ...


def _canonical(obj: object) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _stored(obj: object) -> str:
    """A value as stored: ASCII JSON, so whatever a judge wrote (a lone surrogate) reaches Redis encodable (a value
    Redis' client cannot encode would count as Redis failing, and turn the judge cache off for everyone)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def decision_key(
    *,
    mode: str,
    judge: str,
    rounds: int,
    judge_params: dict[str, Any],
    messages: Sequence[Message],
    candidates: Sequence[Candidate],
) -> str:
    material = {
        "prompt_version": PROMPT_VERSION,
        "mode": mode,
        "judge": judge,
        "rounds": rounds,
        "judge_params": judge_params,
        "messages": [
            {k: m.get(k) for k in ("role", "content", "name", "tool_calls", "tool_call_id")} for m in messages
        ],
        "candidates": [render_candidate(c) for c in candidates],
    }
    return hashlib.sha256(_canonical(material).encode("utf-8", "surrogatepass")).hexdigest()


def encode(key: str, result: JudgeResult, finish_reason: str) -> str:
    decision: dict[str, Any] = {"reason": result.reason, "finish_reason": finish_reason}
    if result.text is not None:
        decision["text"] = result.text
        if result.tool_calls:
            decision["tool_calls"] = [[c.name, c.arguments] for c in result.tool_calls]
    else:
        decision["winner"] = result.winner
    return _stored({"format": FORMAT, "v": VALUE_VERSION, "key": key, "decision": decision})


@dataclass(frozen=True)
class JudgeCacheUse:
    """The judge cache as one fusion model uses it."""

    store: JudgeStore
    ttl: int


@dataclass(frozen=True)
class CachedDecision:
    result: JudgeResult
    finish_reason: str


def _payload(raw: str | bytes | None, key: str, field: str) -> dict[str, Any] | None:
    """`field` of a stored value in our envelope (format, version, this key); None for anything else."""
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(value, dict) or value.get("format") != FORMAT or value.get("v") != VALUE_VERSION:
        return None
    payload = value.get(field)
    return payload if value.get("key") == key and isinstance(payload, dict) else None


def decode(raw: str | bytes | None, key: str, n_candidates: int, writes_text: bool) -> CachedDecision | None:
    """The stored decision, or None for anything foreign, corrupt, stale or not fitting these candidates."""
    decision = _payload(raw, key, "decision")
    if decision is None:
        return None
    reason = decision.get("reason")
    finish = decision.get("finish_reason", "stop")
    if not isinstance(reason, str) or not isinstance(finish, str):
        return None
    if writes_text:
        text = decision.get("text")
        calls = _tool_calls(decision.get("tool_calls", []))
        if not isinstance(text, str) or calls is None or not (text.strip() or calls):
            return None
        return CachedDecision(JudgeResult("ok", reason, text=text, cache="hit", tool_calls=calls), finish)
    winner = decision.get("winner")
    if isinstance(winner, bool) or not isinstance(winner, int) or not 0 <= winner < n_candidates:
        return None
    return CachedDecision(JudgeResult("ok", reason, winner=winner, cache="hit"), finish)


def encode_rating(key: str, score: Score) -> str:
    """A cascade verifier's rating, in the same versioned envelope as judge decisions."""
    return _stored(
        {"format": FORMAT, "v": VALUE_VERSION, "key": key, "rating": {"score": score.score, "reason": score.reason}}
    )


def decode_rating(raw: str | bytes | None, key: str) -> Score | None:
    """The stored rating, or None for anything foreign, corrupt, stale or of another key."""
    rating = _payload(raw, key, "rating")
    if rating is None:
        return None
    score, reason = rating.get("score"), rating.get("reason")
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10 or not isinstance(reason, str):
        return None
    return Score(score, reason)


def _tool_calls(raw: object) -> tuple[ToolCall, ...] | None:
    """A cached answer's tool calls, with fresh ids (an id answers one call of one conversation); None if corrupt."""
    if not isinstance(raw, list) or not all(
        isinstance(c, list) and len(c) == 2 and all(isinstance(x, str) for x in c) for c in raw
    ):
        return None
    calls = tuple(ToolCall(f"call_{uuid.uuid4().hex[:24]}", name, args) for name, args in raw)
    return None if invalid_tool_call(calls) else calls
