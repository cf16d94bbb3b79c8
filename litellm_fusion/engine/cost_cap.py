"""Cost cap: estimate a fusion request's worst-case cost before fan-out, and shrink what it calls to fit.

Each mode states its worst case and how it shrinks (engine/modes/: a panel mode's in panel.py, the tiers' in
cascade.py; the docs/fusion.md cost cap section has the formulas). Here: the cap as every mode uses it, and
gated fusion, whose worst case is the dearest of the three ways it may answer: the panel (or tiers) as its mode
prices them, the cheap or the strong model alone (P input + M output).
The same estimate is what a request reserves against LiteLLM's budgets (`request_worst_case`, README: spend).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from ..config.fusion import FusionModelConfig
from .modes.base import ASSUMED_OUTPUT_TOKENS, CostEstimate, Prices
from .modes.table import mode_of

__all__ = [
    "ASSUMED_OUTPUT_TOKENS",
    "CostEstimate",
    "Prices",
    "fit_panel",
    "request_worst_case",
    "single_call_cost",
    "worst_case_cost",
]


def worst_case_cost(
    cfg: FusionModelConfig, lineup: Sequence[Any], prompt_tokens: int, max_output: int | None, prices: Prices
) -> float:
    """The worst case of a request calling `lineup` (panel members, or a tiered mode's tiers), as its mode prices it."""
    return mode_of(cfg).worst_case(cfg, lineup, prompt_tokens, max_output, prices)


def fit_panel(cfg: FusionModelConfig, prompt_tokens: int, max_output: int | None, prices: Prices) -> CostEstimate:
    """What the cap allows: all of the panel (or tiers), or (action shrink) less, as the mode shrinks it (a panel
    never below min_panel, tiers never without the last). `estimate` is for what is returned; it is over the cap
    when nothing fits."""
    return mode_of(cfg).fit_cost(cfg, prompt_tokens, max_output, cache(prices))  # each price looked up once


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
