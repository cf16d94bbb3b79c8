"""The routing policy without a proxy: cheapest within tolerance, context windows, no-text default."""

from __future__ import annotations

import math

from litellm_fusion.routing.strategy import DeploymentProfile, choose

CHEAP = DeploymentProfile("1", "cheap", 1e-7, 4e-7, strength=0.0, max_input_tokens=8000)
MID = DeploymentProfile("2", "mid", 1e-6, 4e-6, strength=1.5, max_input_tokens=128000)
STRONG = DeploymentProfile("3", "strong", 1e-5, 4e-5, strength=3.0, max_input_tokens=200000)
POOL = [STRONG, CHEAP, MID]


def p(difficulty: float, strength: float) -> float:
    return 1 / (1 + math.exp(-(strength - difficulty)))


def pick(difficulty: float | None, tolerance: float = 0.07, prompt_tokens: int = 100, **kw) -> str:
    return choose(POOL, difficulty, p, tolerance, prompt_tokens, 400, **kw).chosen.model


def test_cheapest_within_tolerance_of_the_best():
    assert pick(-6.0) == "cheap"
    assert pick(1.0) == "strong"
    assert pick(1.0, tolerance=0.7) == "cheap"  # p: cheap .27, mid .62, strong .88
    assert pick(1.0, tolerance=0.3) == "mid"


def test_tolerance_zero_means_strongest_equivalent():
    assert pick(-6.0, tolerance=0.0) == "strong"


def test_context_window_too_small_is_never_chosen():
    decision = choose(POOL, -6.0, p, 0.07, 50_000, 400)
    assert decision.chosen.model == "mid" and "cheap" in decision.excluded


def test_no_context_window_fits_takes_the_largest():
    assert choose(POOL, 0.0, p, 0.07, 500_000, 400).chosen.model == "strong"


def test_no_text_routes_by_the_default():
    assert pick(None) == "strong"
    assert pick(None, no_text_strongest=False) == "cheap"


def test_decision_reports_costs_and_probabilities():
    decision = choose(POOL, -6.0, p, 0.07, 1000, 400)
    assert decision.estimated_cost < decision.strongest_cost
    assert set(decision.p_success) == {"cheap", "mid", "strong"}
