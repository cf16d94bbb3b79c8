"""Cost cap: estimate a fusion request's worst-case cost before fan-out, and shrink the panel to fit.

Estimate (the cost cap in docs/fusion.md), with P = prompt tokens, M = the request's max_tokens (or
max_completion_tokens; without either, `ASSUMED_OUTPUT_TOKENS`), n = panel size, prices per token
from each model_name's most expensive deployment:
- round 1:            every member: P input + M output
- debate rounds 2..R: every member: P + n*M + REVISION_OVERHEAD input (its own and the others' answers) + M output
- judge:              P + n*M + JUDGE_OVERHEAD input, and judge_max_tokens (else best-of 256, merge/debate M) output
- cascade:            every call of every tier: P input + M output; the verifier of every tier but the last:
                      P + M + JUDGE_OVERHEAD input, verifier.max_tokens (else 256) output (all tiers may run)
- gated fusion:       the dearest of the three ways it may answer: the panel as above, the cheap or the strong
                      model alone (P input + M output)
The same estimate is what a request reserves against LiteLLM's budgets (`request_worst_case`, README: spend).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..config.cascade import TierConfig
from ..config.fusion import FusionMode, FusionModelConfig

Prices = Callable[[str], tuple[float, float]]  # model_name -> ($/input token, $/output token)

ASSUMED_OUTPUT_TOKENS = 1024
REVISION_OVERHEAD = 200
JUDGE_OVERHEAD = 400
VERDICT_TOKENS = 256


@dataclass(frozen=True)
class CostEstimate:
    estimate: float
    update: dict[str, Any]  # the options the request runs with (a model_copy update of the config)
    report: dict[str, Any]  # what the metadata shows of them


def cascade_worst_case(
    cfg: FusionModelConfig, tiers: Sequence[TierConfig], prompt_tokens: int, max_output: int | None, prices: Prices
) -> float:
    m = max_output or ASSUMED_OUTPUT_TOKENS
    total = 0.0
    for i, tier in enumerate(tiers):
        for model in tier.call_models():
            price_in, price_out = prices(model)
            total += prompt_tokens * price_in + m * price_out
        if cfg.verifier is not None and i < len(tiers) - 1:
            v_in, v_out = prices(cfg.verifier.model)
            total += (prompt_tokens + m + JUDGE_OVERHEAD) * v_in + (cfg.verifier.max_tokens or VERDICT_TOKENS) * v_out
    return total


def worst_case_cost(
    cfg: FusionModelConfig, panel: Sequence[str], prompt_tokens: int, max_output: int | None, prices: Prices
) -> float:
    m = max_output or ASSUMED_OUTPUT_TOKENS
    n = len(panel)
    total = 0.0
    for member in panel:
        price_in, price_out = prices(member)
        total += prompt_tokens * price_in + m * price_out
        for _ in range(2, cfg.rounds + 1):
            total += (prompt_tokens + n * m + REVISION_OVERHEAD) * price_in + m * price_out
    if n > 1:
        judge_in, judge_out = prices(cfg.judge)
        verdict = VERDICT_TOKENS if cfg.mode is FusionMode.BEST_OF else m
        total += (prompt_tokens + n * m + JUDGE_OVERHEAD) * judge_in + (cfg.judge_max_tokens or verdict) * judge_out
    return total


def fit_panel(cfg: FusionModelConfig, prompt_tokens: int, max_output: int | None, prices: Prices) -> CostEstimate:
    """The panel the cap allows: all of it, or (action shrink) without its most expensive members, never
    below min_panel; for a cascade, without its most expensive tiers but the last. `estimate` is for what
    is returned; it is over the cap when nothing fits."""
    prices = cache(prices)  # each model_name's prices are looked up once per request
    if cfg.tiered:
        return _fit_tiers(cfg, prompt_tokens, max_output, prices)
    panel = list(cfg.panel)
    estimate = worst_case_cost(cfg, panel, prompt_tokens, max_output, prices)
    cap = cfg.max_cost_per_request
    if cap is not None and estimate > cap and cfg.cost_cap_action == "shrink":
        while estimate > cap and len(panel) > cfg.min_panel:
            costliest = max(range(len(panel)), key=lambda i: (sum(prices(panel[i])), i))
            panel.pop(costliest)
            estimate = worst_case_cost(cfg, panel, prompt_tokens, max_output, prices)
    quorum = min(cfg.quorum, len(panel)) if cfg.quorum else None
    return CostEstimate(estimate, {"panel": panel, "quorum": quorum}, {"panel": panel})


def _fit_tiers(cfg: FusionModelConfig, prompt_tokens: int, max_output: int | None, prices: Prices) -> CostEstimate:
    tiers = list(cfg.tiers)
    estimate = cascade_worst_case(cfg, tiers, prompt_tokens, max_output, prices)
    cap = cfg.max_cost_per_request
    if cap is not None and estimate > cap and cfg.cost_cap_action == "shrink":
        while estimate > cap and len(tiers) > 1:
            early = tiers[:-1]
            costliest = max(range(len(early)), key=lambda i: (sum(sum(prices(m)) for m in early[i].call_models()), i))
            tiers.pop(costliest)
            estimate = cascade_worst_case(cfg, tiers, prompt_tokens, max_output, prices)
    return CostEstimate(estimate, {"tiers": tiers}, {"tiers": [t.call_models() for t in tiers]})


def single_call_cost(model: str, prompt_tokens: int, max_output: int | None, prices: Prices) -> float:
    price_in, price_out = prices(model)
    return prompt_tokens * price_in + (max_output or ASSUMED_OUTPUT_TOKENS) * price_out


def request_worst_case(cfg: FusionModelConfig, prompt_tokens: int, max_output: int | None, prices: Prices) -> float:
    """The most a request to this fusion model may cost before anything ran: what it runs with (the panel or
    tiers the cost cap leaves) and, for a gated model, the dearest of fusing and either single model."""
    prices = cache(prices)
    worst = fit_panel(cfg, prompt_tokens, max_output, prices).estimate
    if cfg.gate is not None:
        singles = (single_call_cost(m, prompt_tokens, max_output, prices) for m in (cfg.gate.cheap, cfg.gate.strong))
        worst = max(worst, *singles)
    return worst
