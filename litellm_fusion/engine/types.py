"""Data passed between the fusion engine's parts. No LiteLLM import here: the engine runs without a proxy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Message = dict[str, Any]


@dataclass(frozen=True)
class Completion:
    """What one inner model call returned."""

    text: str
    cost: float
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str = "stop"
    cached: bool = False  # served from a response cache


class Caller(Protocol):
    """Makes one inner call to a model_name of the proxy. The LiteLLM adapter implements it with the Router."""

    async def __call__(
        self, model: str, messages: list[Message], params: dict[str, Any], timeout: float
    ) -> Completion: ...


class InnerCallError(Exception):
    """An inner call failed; `cost` is what it was billed anyway (0 unless the provider charged it)."""

    def __init__(self, message: str, cost: float = 0.0, status: int | None = None) -> None:
        super().__init__(message)
        self.cost = cost
        self.status = status  # the provider's HTTP status, when there was one


Role = Literal["member", "judge"]


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

    def as_metadata(self) -> dict[str, Any]:
        return {
            "model": self.model,
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


@dataclass
class Candidate:
    """A panel member's latest answer."""

    member: int  # index in the panel
    model: str
    text: str
    finish_reason: str = "stop"  # of the call that produced `text`


@dataclass
class FusionResult:
    """Everything one fusion request produced."""

    mode: str
    answer: str
    candidates: list[Candidate]
    judge: JudgeResult
    calls: list[CallRecord] = field(default_factory=list)
    rounds: int = 1
    finish_reason: str = "stop"
    winner: Candidate | None = None  # the candidate returned verbatim (best-of, or any fallback)
    elapsed_s: float = 0.0  # wall time of the whole fusion run

    @property
    def critical_path_s(self) -> float:
        """Time the inner calls alone account for: the slowest call of each round, plus the judge."""
        slowest: dict[tuple[str, int], float] = {}
        for c in self.calls:
            key = (c.role, c.round)
            slowest[key] = max(slowest.get(key, 0.0), c.latency_s)
        return sum(slowest.values())

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


class FusionError(Exception):
    """The fusion request failed as a whole. `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int, calls: list[CallRecord] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.calls = calls or []

    @property
    def cost(self) -> float:
        return sum(c.cost for c in self.calls)
