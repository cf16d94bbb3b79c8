"""Data passed between the fusion engine's parts. No LiteLLM import here: the engine runs without a proxy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from . import bounded_json

Message = dict[str, Any]


@dataclass(frozen=True)
class ToolCall:
    """One function call an assistant message asks for, as the model wrote it."""

    id: str
    name: str
    arguments: str  # the raw JSON text of the arguments

    def parsed_arguments(self) -> Any:
        """The arguments as JSON; raises ValueError when the model wrote invalid JSON or JSON nested deeper than
        bounded_json.MAX_DEPTH (read in linear time, without recursion)."""
        return bounded_json.loads(self.arguments or "{}")

    def as_openai(self) -> dict[str, Any]:
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.arguments}}


def invalid_tool_call(calls: tuple[ToolCall, ...]) -> str | None:
    """Why these tool calls cannot be used (arguments that are not a JSON object), or None."""
    for call in calls:
        if not call.name:
            return f"tool call {call.id or '?'} has no function name"
        try:
            value = call.parsed_arguments()
        except ValueError as exc:
            return f"tool call {call.name}: arguments are not valid JSON ({exc})"
        if not isinstance(value, dict):
            return f"tool call {call.name}: arguments are not a JSON object"
    return None


@dataclass(frozen=True)
class Completion:
    """What one inner model call returned: an assistant message (text, tool calls or both) and its bill."""

    text: str
    cost: float
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str = "stop"
    cached: bool = False  # served from a response cache
    tool_calls: tuple[ToolCall, ...] = ()


class Caller(Protocol):
    """Makes one inner call to a model_name of the proxy. The LiteLLM adapter implements it with the Router.

    `stream` makes the same call streamed: it yields text deltas as the model writes them, and last the
    whole Completion (text, tool calls, usage, cost)."""

    async def __call__(
        self, model: str, messages: list[Message], params: dict[str, Any], timeout: float
    ) -> Completion: ...

    def stream(
        self, model: str, messages: list[Message], params: dict[str, Any], timeout: float
    ) -> AsyncIterator[str | Completion]: ...


class InnerCallError(Exception):
    """An inner call failed; `cost` is what it was billed anyway (0 unless the provider charged it)."""

    def __init__(self, message: str, cost: float = 0.0, status: int | None = None) -> None:
        super().__init__(message)
        self.cost = cost
        self.status = status  # the provider's HTTP status, when there was one


Role = Literal["member", "judge", "verifier"]


@dataclass
class CallRecord:
    """One inner call as it appears in the per-request metadata."""

    model: str
    role: Role
    round: int
    ok: bool
    latency_s: float
    cost: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None
    cached: bool = False
    status: int | None = None  # HTTP status of a failed call, when known
    tier: int | None = None  # cascade tier (1-based) of the call
    started: float = 0.0  # time.monotonic() when the call started
    first_token_s: float | None = None  # a streamed call: seconds to its first text

    @property
    def ended(self) -> float:
        return self.started + self.latency_s

    def as_metadata(self) -> dict[str, Any]:
        return {
            "model": self.model,
            **({"tier": self.tier} if self.tier is not None else {}),
            "round": self.round,
            "ok": self.ok,
            "latency_ms": round(self.latency_s * 1000, 1),
            "cost": self.cost,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            **({"error": self.error} if self.error else {}),
            **({"cache_hit": True} if self.cached else {}),
        }


JudgeOutcome = Literal["ok", "fallback", "skipped"]


@dataclass
class JudgeResult:
    outcome: JudgeOutcome
    reason: str  # the verdict's one-line reason, or why the judge was skipped / fell back
    winner: int | None = None  # 0-based index into the candidates (best-of), None for merge/debate
    text: str | None = None  # the judge's own answer (merge/debate)
    cache: str = "off"  # judge cache: hit | miss | unavailable | off
    tool_calls: tuple[ToolCall, ...] = ()  # the judge's own tool calls (merge/debate with the client's tools)


@dataclass
class Candidate:
    """A panel member's latest answer: an assistant message (text, tool calls or both)."""

    member: int  # index in the panel (or in the cascade tier's calls)
    model: str
    text: str
    finish_reason: str = "stop"  # of the call that produced `text`
    tool_calls: tuple[ToolCall, ...] = ()

    @classmethod
    def of(cls, member: int, model: str, completion: Completion) -> Candidate:
        return cls(member, model, completion.text, completion.finish_reason, completion.tool_calls)


@dataclass
class FusionResult:
    """Everything one fusion request produced."""

    mode: str
    answer: str
    candidates: list[Candidate]
    judge: JudgeResult
    calls: list[CallRecord] = field(default_factory=list)
    rounds: int = 1
    converged: bool = False  # debate: stopped before its configured rounds, every member giving the same answer
    finish_reason: str = "stop"
    winner: Candidate | None = None  # the candidate returned verbatim (best-of, or any fallback)
    elapsed_s: float = 0.0  # wall time of the whole fusion run
    tool_calls: tuple[ToolCall, ...] = ()  # the answer's tool calls (the winner's, or the judge's own)
    cascade: CascadeReport | None = None  # mode cascade: which tier answered and why earlier ones escalated
    streamed_chars: int = 0  # answer text already sent to a streaming client before a judge failure

    @property
    def critical_path_s(self) -> float:
        """Time the inner calls alone account for: the slowest call of each round, plus the judge."""
        return critical_path(self.calls)

    @property
    def overhead_s(self) -> float:
        """Fusion's own time on top of its inner calls (fan-out, prompts, parsing, bookkeeping)."""
        return max(0.0, self.elapsed_s - self.critical_path_s)

    @property
    def cost(self) -> float:
        return sum(c.cost for c in self.calls)

    @property
    def prompt_tokens(self) -> int:
        return sum(c.prompt_tokens for c in self.calls)

    @property
    def completion_tokens(self) -> int:
        return sum(c.completion_tokens for c in self.calls)


@dataclass
class CheckResult:
    """One acceptance check of a cascade tier."""

    check: str  # agreement | verifier | usable
    passed: bool
    reason: str
    answers: list[dict[str, Any]] | None = None  # agreement: what was read from each answer (engine/answers)

    def as_metadata(self) -> dict[str, Any]:
        found = {"check": self.check, "passed": self.passed, "reason": self.reason}
        return {**found, "answers": self.answers} if self.answers is not None else found


@dataclass
class TierReport:
    tier: int  # 1-based
    models: list[str]
    accepted: bool = False
    checks: list[CheckResult] = field(default_factory=list)
    escalated: str | None = None  # why the next tier ran
    code: str | None = None  # the same as a code (engine/acceptance.py ESCALATION_CODES)
    answer: Candidate | None = None  # the tier's answer (returned if accepted; what audits compare)

    def as_metadata(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "models": self.models,
            "accepted": self.accepted,
            "checks": [c.as_metadata() for c in self.checks],
            "escalated": self.escalated,
            **({"code": self.code} if self.code else {}),
        }


@dataclass
class CascadeReport:
    tiers: list[TierReport]
    tier_reached: int  # 1-based tier whose answer was returned
    accepted_by: str  # agreement | verifier | agreement+verifier | usable | last tier | fallback: ...


class Ledger(list[CallRecord]):
    """Every inner call of one request that finished (what its providers billed), as soon as it finished, and the
    background tasks still reading a streamed call. `abort` stops those: a client that hung up while the request's
    stream was paused must not leave a call running (and billing) that nothing will record."""

    def __init__(self) -> None:
        super().__init__()
        self.readers: set[asyncio.Task[Any]] = set()

    def abort(self) -> None:
        for task in list(self.readers):
            task.cancel()

    @property
    def cost(self) -> float:
        return sum(c.cost for c in self)


def critical_path(calls: Any) -> float:
    """Seconds the calls alone account for, run as the engine runs them: each step (role, round, tier) from its
    first call's start to its last call's end, the steps one after another. A step's calls start together; the
    span, not its slowest call, is what they take: the Router's synchronous work for one call (routing, request
    building) runs on the shared event loop before the next call can start, and that is LiteLLM's time."""
    spans: dict[tuple[str, int, int | None], tuple[float, float]] = {}
    for c in calls:
        key = (c.role, c.round, c.tier)
        first, last = spans.get(key, (c.started, c.ended))
        spans[key] = (min(first, c.started), max(last, c.ended))
    return sum(last - first for first, last in spans.values())


def first_token_wait(calls: Any, first_token_at: float) -> float:
    """Seconds the calls alone account for before the reply's first text at `first_token_at` (monotonic): the
    critical path of the calls that had ended by then, plus the time to first text of a call streaming then."""
    done = [c for c in calls if c.ended <= first_token_at + 1e-9]
    streaming = [
        c.first_token_s
        for c in calls
        if c.first_token_s is not None
        and c.ended > first_token_at
        and c.started + c.first_token_s <= first_token_at + 1e-9
    ]
    return critical_path(done) + max(streaming, default=0.0)


class FusionError(Exception):
    """The fusion request failed as a whole. `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int, calls: list[CallRecord] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.calls = calls or []

    @property
    def cost(self) -> float:
        return sum(c.cost for c in self.calls)
