"""What a fusion mode states, so that the rest of the package asks the mode instead of branching on it.

A mode is one object (one file in this package, one line in table.py). It states:
- its plan: the steps a request runs (`events`: a panel round, more rounds, the judge; or tiers);
- its judge: whether the judge picks a candidate verbatim or writes the answer, and the judge's prompt;
- its worst-case cost before anything ran, and how the cost cap shrinks what it calls to fit (`fit_cost`);
- who it calls, as the metadata shows it (`lineup`), and the capabilities the adapter and the metrics ask
  (`tiered`, `picks_verbatim`, `auditable`, `caches_decisions`).
Its configuration rules (what it requires and accepts) are data beside the enum: config/fusion_modes.py.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ...config.fusion import FusionModelConfig
from ..calls import Quorum
from ..records import Caller, Candidate, FusionResult, Ledger, Message

if TYPE_CHECKING:
    from ..judge_cache import JudgeCacheUse

Prices = Callable[[str], tuple[float, float]]  # model_name -> ($/input token, $/output token)
Event = str | FusionResult  # answer text as it becomes available; the FusionResult last

# The worst-case estimate's assumptions (docs/fusion.md, the cost cap).
ASSUMED_OUTPUT_TOKENS = 1024  # output per call when the request sets no max_tokens
REVISION_OVERHEAD = 200  # prompt tokens a revision round adds beyond the answers it quotes
JUDGE_OVERHEAD = 400  # prompt tokens a judge or verifier prompt adds beyond what it quotes
VERDICT_TOKENS = 256  # output of a judge that picks (a short JSON verdict) or a verifier


@dataclass(frozen=True)
class CostEstimate:
    estimate: float
    update: dict[str, Any]  # the options the request runs with (a model_copy update of the config)
    report: dict[str, Any]  # what the metadata shows of them


class EngineState(Protocol):
    """What a mode's plan reads and updates of the engine running one request (engine/runner.py)."""

    config: FusionModelConfig
    caller: Caller
    judge_cache: JudgeCacheUse | None
    quorum: Quorum | None
    completed: Ledger  # every inner call finished so far
    converged: bool  # stopped before its last round because the members agreed


class Mode(ABC):
    tiered: bool = False  # runs tiers cheapest first, each accepted or escalated, instead of a panel and a judge
    picks_verbatim: bool = False  # its judge picks one candidate, returned verbatim (else the judge writes)
    auditable: bool = False  # live audits and learning (`audit`, `learn`) apply to it

    @abstractmethod
    def events(
        self,
        engine: EngineState,
        messages: list[Message],
        params: dict[str, Any],
        live: bool,
        skip: Mapping[int, str] | None,
        refuse: Mapping[int, str] | None,
    ) -> AsyncIterator[Event]:
        """The request's steps: answer text as it becomes available (only when `live`), the FusionResult last.
        `skip` / `refuse`: tiers not to run / whose answer may not be accepted, with the reason (tiered modes)."""

    @abstractmethod
    def lineup(self, cfg: FusionModelConfig) -> dict[str, Any]:
        """Who a request calls, as its metadata shows it (its panel, or its tiers)."""

    @abstractmethod
    def worst_case(
        self, cfg: FusionModelConfig, lineup: Sequence[Any], prompt_tokens: int, max_output: int | None, prices: Prices
    ) -> float:
        """The most a request calling `lineup` (panel members, or tiers) may cost, before anything ran."""

    @abstractmethod
    def fit_cost(
        self, cfg: FusionModelConfig, prompt_tokens: int, max_output: int | None, prices: Prices
    ) -> CostEstimate:
        """What the request runs with under the cost cap: all of it, or (cost_cap_action shrink) less; the estimate
        is for what is returned, over the cap when nothing fits."""

    def judge_prompt(
        self, messages: Sequence[Message], cands: Sequence[Candidate], rounds: int, tools: bool
    ) -> list[Message]:
        """The judge's prompt over the surviving candidates."""
        raise NotImplementedError(f"{type(self).__name__} has no judge")

    def caches_decisions(self, cfg: FusionModelConfig) -> bool:
        """Whether the judge cache applies (its judge's decisions, or its verifier's ratings)."""
        return True
