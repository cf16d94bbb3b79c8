"""The routing policy without a proxy: success net of price, context windows, no-text default."""

from __future__ import annotations

from litellm_fusion.routing.difficulty_model import Estimate
from litellm_fusion.routing.strategy import DeploymentProfile, choose

CHEAP = DeploymentProfile("1", "cheap", 1e-7, 4e-7, strength=0.0, max_input_tokens=8000)
MID = DeploymentProfile("2", "mid", 1e-6, 4e-6, strength=1.5, max_input_tokens=128000)
STRONG = DeploymentProfile("3", "strong", 1e-5, 4e-5, strength=3.0, max_input_tokens=200000)
POOL = [STRONG, CHEAP, MID]


def E(difficulty: float | None) -> Estimate | None:  # slope 1: p = sigmoid(strength - difficulty)
    return None if difficulty is None else Estimate(difficulty)


def pick(difficulty: float | None, price_weight: float = 0.1, prompt_tokens: int = 100, **kw) -> str:
    return choose(POOL, E(difficulty), price_weight, prompt_tokens, 400, **kw).chosen.model


# Request costs here are 1% (cheap), 10% (mid) and 100% (strong) of the strong deployment's.


def test_highest_success_net_of_price():
    assert pick(-6.0) == "cheap"  # p: .9975 / .9994 / .9999: nobody is worth paying more
    assert pick(1.0) == "strong"  # p: .27 / .62 / .88; scores .27 / .61 / .78
    assert pick(1.0, price_weight=0.5) == "mid"  # scores .26 / .57 / .38
    assert pick(1.0, price_weight=10.0) == "cheap"


def test_a_clearly_stronger_mid_tier_beats_the_cheapest():
    # p: cheap .953, mid .989, strong .998. A fixed tolerance of 0.07 in probability would take the cheapest;
    # +3.6 points of success for 9% of the strongest's price is worth it at price weight 0.1.
    assert pick(-3.0) == "mid"
    assert pick(-3.0, price_weight=0.5) == "cheap"


def test_a_dearer_weaker_deployment_is_never_chosen_and_changes_nothing():
    """A deployment that costs more than the strongest but is weaker (claude-sonnet-4-5 next to o3) must not make
    the strongest look cheap: the price weight is measured against what the best predicted success costs."""
    dominated = DeploymentProfile("4", "dominated", 2e-5, 8e-5, strength=2.5, max_input_tokens=200000)
    for difficulty in (-4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 4.0):
        for weight in (0.07, 0.1, 0.2, 0.5):
            alone = choose(POOL, E(difficulty), weight, 100, 400).chosen.model
            with_it = choose([*POOL, dominated], E(difficulty), weight, 100, 400).chosen.model
            assert with_it == alone != "dominated", (difficulty, weight)
    # the case it was written for: at difficulty 1 and weight 0.5 the mid deployment wins (scores .26 / .57 /
    # .38); normalised by the dominated one's price (twice the strongest's) the strongest would win (.63 vs .60)
    assert choose([*POOL, dominated], E(1.0), 0.5, 100, 400).chosen.model == "mid"


def test_price_weight_zero_means_most_likely_to_succeed():
    assert pick(-6.0, price_weight=0.0) == "strong"


def test_equal_strength_goes_to_the_cheaper_and_free_deployments_do_not_divide_by_zero():
    twin = DeploymentProfile("4", "mid-twin", 5e-7, 2e-6, strength=1.5)
    assert choose([MID, twin], E(0.0), 0.0, 100, 400).chosen.model == "mid-twin"
    free = [
        DeploymentProfile("5", "free-a", 0.0, 0.0, strength=0.5),
        DeploymentProfile("6", "free-b", 0.0, 0.0, strength=2.0),
    ]
    assert choose(free, E(0.0), 0.1, 100, 400).chosen.model == "free-b"


def test_context_window_too_small_is_never_chosen():
    decision = choose(POOL, E(-6.0), 0.07, 50_000, 400)
    assert decision.chosen.model == "mid" and "cheap" in decision.excluded


def test_no_context_window_fits_takes_the_largest():
    assert choose(POOL, E(0.0), 0.07, 500_000, 400).chosen.model == "strong"


def test_no_text_routes_by_the_default():
    assert pick(None) == "strong"
    assert pick(None, no_text_strongest=False) == "cheap"


def test_decision_reports_costs_and_probabilities():
    decision = choose(POOL, E(-6.0), 0.07, 1000, 400)
    assert decision.estimated_cost < decision.strongest_cost
    assert set(decision.p_success) == {"cheap", "mid", "strong"}
