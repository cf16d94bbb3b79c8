"""One plan per request: what a fusion request runs, decided once before its first call, consumed by the engine.

The adapter builds it (adapter/fusion/request_plan.py: the cost cap, the complexity gate, the start tier, learning and
audit guardrails, each asked once); the engine runs it (`RequestPlan.engine`, `RequestPlan.events`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config.fusion import FusionModelConfig
from .judge_cache import JudgeCacheUse
from .modes.base import CostEstimate, Event, Mode
from .modes.table import mode_of
from .records import Caller, Message
from .runner import FusionEngine


@dataclass(frozen=True)
class RequestPlan:
    config: FusionModelConfig  # the fusion model as configured (metadata, billing, audits read this)
    cost: CostEstimate | None = None  # the cost cap's verdict (None: no max_cost_per_request)
    single: str | None = None  # the complexity gate's choice: this model answers alone
    reason: str = ""  # why it answers alone
    skip: Mapping[int, str] = field(default_factory=dict)  # tiers not to run, with the reason
    refuse: Mapping[int, str] | None = None  # tiers whose answer may not be accepted (a tripped audit guardrail)

    @property
    def mode(self) -> Mode:
        return mode_of(self.config)

    @property
    def run_config(self) -> FusionModelConfig:
        """The config the request runs with: the panel or tiers the cost cap left."""
        return self.config if self.cost is None else self.config.model_copy(update=self.cost.update)

    def engine(self, caller: Caller, judge_cache: JudgeCacheUse | None) -> FusionEngine:
        return FusionEngine(self.run_config, caller, judge_cache)

    def events(
        self, engine: FusionEngine, messages: list[Message], params: dict[str, Any], live: bool
    ) -> AsyncIterator[Event]:
        """The request's events, as planned: the gate's single model, else the mode's steps."""
        if self.single is not None:
            return engine.single_events(self.single, messages, params, self.reason, live)
        return engine.events(messages, params, live, self.skip or None, self.refuse)
