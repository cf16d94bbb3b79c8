"""Tiers cheapest first, each accepted or escalated (engine/cascade.py); no judge (a verifier may rate answers).

Cost (docs/fusion.md, the cost cap), with P = prompt tokens and M = the request's max_tokens (else
ASSUMED_OUTPUT_TOKENS), all tiers may run: every call of every tier P input + M output; the verifier of every
tier but the last P + M + JUDGE_OVERHEAD input, verifier.max_tokens (else VERDICT_TOKENS) output. Shrink: drop
the most expensive tiers but the last.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from ...config.fusion import FusionModelConfig
from ..cascade import cascade_events
from ..records import Message
from .base import ASSUMED_OUTPUT_TOKENS, JUDGE_OVERHEAD, VERDICT_TOKENS, CostEstimate, EngineState, Event, Mode, Prices


class Cascade(Mode):
    tiered = True
    auditable = True

    async def events(
        self,
        engine: EngineState,
        messages: list[Message],
        params: dict[str, Any],
        live: bool,
        skip: Mapping[int, str] | None = None,
        refuse: Mapping[int, str] | None = None,
    ) -> AsyncIterator[Event]:
        async for event in cascade_events(
            engine.config, engine.caller, messages, params, live, engine.completed, skip, engine.judge_cache, refuse
        ):
            yield event

    def lineup(self, cfg: FusionModelConfig) -> dict[str, Any]:
        return {"tiers": [list(t.call_models()) for t in cfg.tiers]}

    def worst_case(
        self, cfg: FusionModelConfig, lineup: Sequence[Any], prompt_tokens: int, max_output: int | None, prices: Prices
    ) -> float:
        m = max_output or ASSUMED_OUTPUT_TOKENS
        total = 0.0
        for i, tier in enumerate(lineup):
            for model in tier.call_models():
                price_in, price_out = prices(model)
                total += prompt_tokens * price_in + m * price_out
            if cfg.verifier is not None and i < len(lineup) - 1:
                v_in, v_out = prices(cfg.verifier.model)
                total += (prompt_tokens + m + JUDGE_OVERHEAD) * v_in + (
                    cfg.verifier.max_tokens or VERDICT_TOKENS
                ) * v_out
        return total

    def fit_cost(
        self, cfg: FusionModelConfig, prompt_tokens: int, max_output: int | None, prices: Prices
    ) -> CostEstimate:
        tiers = list(cfg.tiers)
        estimate = self.worst_case(cfg, tiers, prompt_tokens, max_output, prices)
        cap = cfg.max_cost_per_request
        if cap is not None and estimate > cap and cfg.cost_cap_action == "shrink":
            while estimate > cap and len(tiers) > 1:
                early = tiers[:-1]
                costliest = max(
                    range(len(early)), key=lambda i: (sum(sum(prices(m)) for m in early[i].call_models()), i)
                )
                tiers.pop(costliest)
                estimate = self.worst_case(cfg, tiers, prompt_tokens, max_output, prices)
        return CostEstimate(estimate, {"tiers": tiers}, {"tiers": [t.call_models() for t in tiers]})

    def caches_decisions(self, cfg: FusionModelConfig) -> bool:
        return cfg.verifier is not None  # its verifier's ratings; without one, nothing is cached
