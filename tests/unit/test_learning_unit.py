"""The learning package without Redis: features, the model and its fit, priors, and the decisions it changes."""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys

import pytest

from litellm_fusion.config.learning import LearningSettings
from litellm_fusion.engine.labels import Label
from litellm_fusion.learning.features import BITS, Features, features_of
from litellm_fusion.learning.learner import View, label_value
from litellm_fusion.learning.model import ArmModel, Example, LearnedModel, fit_arm
from litellm_fusion.learning.policy import describe, plan_tiers, routing_success
from litellm_fusion.learning.priors import CascadePrior, RoutingPrior, cascade_prior
from litellm_fusion.learning.tier_costs import TierCosts
from litellm_fusion.routing.difficulty_model import Estimate
from litellm_fusion.routing.strategy import DeploymentProfile, choose

SETTINGS = LearningSettings(min_labels=10, skip_below=0.3, explore=0.0)


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_features_hash_the_text_and_keep_no_word_of_it() -> None:
    text = "Zanzibarian quokkas juggle seventeen marmalade pineapples before breakfast"
    f = features_of(user(text))
    assert f is not None
    assert list(f.buckets) == sorted(set(f.buckets)) and all(0 <= b < 2**BITS for b in f.buckets)
    assert len(f.buckets) > 10 and len(f.dense) == 9
    encoded = json.dumps(f.encode())
    for word in text.lower().split():
        assert word not in encoded.lower()
    assert Features.decode(json.loads(encoded)).buckets == f.buckets
    assert features_of(user("  ")) is None and features_of([{"role": "system", "content": "x"}]) is None


def test_features_are_the_same_in_every_process() -> None:
    """Replicas and restarts must agree on the buckets: another interpreter, with another hash seed, finds the same."""
    code = (
        "from litellm_fusion.learning.features import features_of;"
        "print(list(features_of([{'role': 'user', 'content': 'what is the capital of France?'}]).buckets))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout) == list(features_of(user("what is the capital of France?")).buckets)


def example(f: Features, y: float, offset: float = 0.0) -> Example:
    return Example(f, y, offset)


def synthetic(n: int, seed: int = 1) -> list[Example]:
    """Questions about cooking are answered well, about quantum physics not (a topic the prior cannot see)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        good = rng.random() < 0.5
        topic = "recipe soup onion garlic simmer" if good else "quantum entanglement photon spin decoherence"
        f = features_of(user(f"{topic} question number {i} {rng.randrange(10**6)}"))
        assert f is not None
        out.append(example(f, 1.0 if good else 0.0))
    return out


def test_an_unfitted_arm_is_the_prior() -> None:
    f = features_of(user("hello there"))
    assert f is not None
    assert ArmModel().predict(f, 1.3) == pytest.approx(1 / (1 + 2.718281828459045**-1.3))
    assert fit_arm([]).predict(f, -0.7) == pytest.approx(ArmModel().predict(f, -0.7))


def test_the_fit_learns_what_the_prior_cannot_see() -> None:
    model = fit_arm(synthetic(200))
    good = features_of(user("recipe soup onion garlic simmer question"))
    bad = features_of(user("quantum entanglement photon spin decoherence question"))
    assert good is not None and bad is not None
    assert model.predict(good, 0.0) > 0.8 and model.predict(bad, 0.0) < 0.2
    assert model.n == 200 and 80 < model.positives < 120
    assert fit_arm(synthetic(200)).encode() == model.encode()  # deterministic: same labels, same model


def test_the_prior_holds_with_few_labels() -> None:
    f = features_of(user("some question"))
    assert f is not None
    few = fit_arm([example(f, 0.0, 2.0)])
    assert few.predict(f, 2.0) > 0.7  # one bad label does not overturn a prior of 0.88


def test_learned_model_round_trip_and_garbage() -> None:
    arm = fit_arm(synthetic(40))
    model = LearnedModel("fusion/c", 3, 40, 1000.0, {"tier:1": arm}, "irt-x", 45)
    back = LearnedModel.decode(model.encode())
    assert back.version == 3 and back.observed == 45 and back.arms["tier:1"].n == 40
    f = synthetic(1, seed=9)[0].features
    assert back.arms["tier:1"].predict(f, 0.2) == pytest.approx(arm.predict(f, 0.2), abs=1e-4)
    for junk in ("{}", "not json", json.dumps({"format": "other"}), json.dumps({"format": "litellm-fusion-learned/1"})):
        with pytest.raises(ValueError):
            LearnedModel.decode(junk)


def test_priors() -> None:
    f = features_of(user("Prove that the square root of two is irrational."))
    assert f is not None
    prior = cascade_prior([[0.0, 0.5], [3.0]])
    p = f.estimate.p_success(0.0) * f.estimate.p_success(0.5)
    assert prior.offset("tier:1", f) == pytest.approx(__import__("math").log(p / (1 - p)), abs=1e-6)
    assert prior.offset("tier:9", f) == 0.0 and prior.offset("gpt", f) == 0.0
    assert CascadePrior(((None,), (1.0,))).offset("tier:1", f) == 0.0
    routing = RoutingPrior({"cheap": 0.0, "top": 2.0}, "top")
    assert routing.offset("cheap", f) < routing.offset("top", f)
    assert routing.offset("unknown", f) == 0.0


def test_label_values() -> None:
    msgs = user("q")
    assert label_value("group", Label("g", "m", msgs, True, "audit")) == 1.0
    assert label_value("group", Label("g", "m", msgs, False, "audit")) == 0.0
    # cascades: an acceptance label is the target; an audit adds a disagreement; escalation checks repeat a 0
    assert label_value("tiers", Label("c", "tier:1", msgs, True, "acceptance")) == 1.0
    assert label_value("tiers", Label("c", "tier:1", msgs, False, "acceptance")) == 0.0
    assert label_value("tiers", Label("c", "tier:1", msgs, False, "audit")) == 0.0
    assert label_value("tiers", Label("c", "tier:1", msgs, True, "audit")) is None
    assert label_value("tiers", Label("c", "tier:1", msgs, False, "escalation_check")) is None
    assert label_value("tiers", Label("c", "tier:1", msgs, True, "escalation_check")) is None


def view_with(arms: dict[str, ArmModel], labels: int = 100) -> View:
    return View(LearnedModel("c", 7, labels, 0.0, arms, "p", labels), labels, "learned")


def test_plan_skips_a_tier_predicted_to_fail_once_it_has_enough_labels() -> None:
    f = features_of(user("a question"))
    assert f is not None
    prior = cascade_prior([[None], [None], [None]])
    failing = ArmModel(b=-3.0, dense=[0.0] * 9, n=50)
    passing = ArmModel(b=3.0, dense=[0.0] * 9, n=50)
    plan = plan_tiers(view_with({"tier:1": failing, "tier:2": passing}), f, prior, 3, SETTINGS, explore=False)
    assert set(plan.skip) == {1}
    assert plan.skip[1].startswith("learned model v7 (100 labels): predicted good 0.05 < 0.3")
    assert plan.report["skipped"] == [1] and plan.report["model_version"] == 7 and plan.report["labels"] == 100
    assert not plan.report["explored"]
    explored = plan_tiers(view_with({"tier:1": failing}), f, prior, 3, SETTINGS, explore=True)
    assert explored.skip == {} and explored.report["explored"]
    young = ArmModel(b=-3.0, dense=[0.0] * 9, n=9)  # fewer than min_labels: no skip
    assert plan_tiers(view_with({"tier:1": young}), f, prior, 3, SETTINGS, explore=False).skip == {}
    none = plan_tiers(View(None, 0, "unavailable"), f, prior, 3, SETTINGS, explore=False)
    assert none.skip == {} and none.report["state"] == "unavailable" and none.report["p_good"] == [None, None]
    assert describe(plan.report) == "learned v7; 100 labels; skipped tier 1"
    assert describe(none.report) == "prior (learning store unavailable); 0 labels"
    assert describe(View(None, 4, "prior").report()) == "prior; 4 labels"


def test_routing_success_scales_the_prior_gain_by_the_learned_disagreement() -> None:
    f = features_of(user("Explain the causes of the French revolution in detail."))
    assert f is not None
    prior = RoutingPrior({"cheap": 0.0, "top": 2.5}, "top")
    p_cheap, p_top = f.estimate.p_success(0.0), f.estimate.p_success(2.5)
    unfitted = routing_success(view_with({"cheap": ArmModel(dense=[0.0] * 9, n=3)}), f, prior)
    assert unfitted["cheap"] == pytest.approx(p_cheap)  # nothing learned: exactly the prior
    agrees = routing_success(view_with({"cheap": ArmModel(b=9.0, dense=[0.0] * 9, n=1000)}), f, prior)
    assert agrees["cheap"] == pytest.approx(p_top, abs=1e-3)  # never disagrees: no gain left, as good as the top
    q0 = 1 / (1 + math.exp(-prior.offset("cheap", f)))
    fails = routing_success(view_with({"cheap": ArmModel(b=-1.0, dense=[0.0] * 9, n=1000)}), f, prior)
    q = 1 / (1 + math.exp(-(prior.offset("cheap", f) - 1.0)))
    assert fails["cheap"] == pytest.approx(p_top - (p_top - p_cheap) * (1 - q) / (1 - q0))
    assert fails["cheap"] < p_cheap
    assert routing_success(View(None, 0, "prior"), f, prior) == {}

    cheap = DeploymentProfile("1", "cheap", 1e-7, 1e-7, 0.0)
    top = DeploymentProfile("2", "top", 1e-5, 3e-5, 2.5)
    estimate = Estimate(1.5, 1.0)
    assert choose([cheap, top], estimate, 0.1, 100, 400).chosen.model == "top"
    learned = choose([cheap, top], estimate, 0.1, 100, 400, p_success={"cheap": estimate.p_success(2.5)})
    assert learned.chosen.model == "cheap" and learned.p_success["cheap"] == pytest.approx(estimate.p_success(2.5))


def test_bad_learning_settings_name_the_field() -> None:
    from litellm_fusion.config.routing import RoutingConfigError
    from litellm_fusion.config.settings import parse_settings

    assert parse_settings({"learning": {"explore": 0.2, "seed": 1}}).learning.explore == 0.2
    for bad, field in (({"explore": 1.5}, "learning.explore"), ({"skip_below": 0}, "learning.skip_below")):
        with pytest.raises(RoutingConfigError, match=field.replace(".", r"\.")):
            parse_settings({"learning": bad})
    with pytest.raises(RoutingConfigError, match=r"learning\.nope: unknown option"):
        parse_settings({"learning": {"nope": 1}})


def test_a_tier_that_costs_more_than_it_is_expected_to_save_is_skipped() -> None:
    """With every tier's cost known, tier t is skipped when p * E(t+1) < C(t) even above skip_below, and kept when
    its expected saving is larger; unknown costs leave only the skip_below floor; skip_on_cost off restores it."""
    f = features_of(user("a question"))
    assert f is not None
    prior = cascade_prior([[None], [None], [None]])
    settings = LearningSettings(min_labels=10, skip_below=0.2, explore=0.0)

    def arm(p: float) -> ArmModel:
        return ArmModel(b=math.log(p / (1 - p)), dense=[0.0] * 9, n=50)

    costs = {1: 10.0, 2: 17.0, 3: 90.0}
    # tier 2: p 0.8, saves 0.8 * 90 = 72 > 17: runs; E(2) = 17 + 0.2 * 90 = 35; tier 1: p 0.4 saves 14 > 10: runs
    keep = plan_tiers(view_with({"tier:1": arm(0.4), "tier:2": arm(0.8)}), f, prior, 3, settings, False, costs)
    assert keep.skip == {} and keep.report["tier_costs"] == {"1": 10.0, "2": 17.0, "3": 90.0}
    # tier 1 at p 0.25 (above the floor, 0.2): saves 0.25 * 35 = 8.75 < 10: skipped on cost
    dear1 = plan_tiers(view_with({"tier:1": arm(0.25), "tier:2": arm(0.8)}), f, prior, 3, settings, False, costs)
    assert set(dear1.skip) == {1} and "predicted good 0.25, expected saving $8.8 < the tier's cost $10" in dear1.skip[1]
    # tier 2 at p 0.15 (below the floor) is skipped: E(2) is then tier 3's 90, and tier 1 (p 0.25: 22.5 > 10) runs
    floor = plan_tiers(view_with({"tier:1": arm(0.25), "tier:2": arm(0.15)}), f, prior, 3, settings, False, costs)
    assert set(floor.skip) == {2} and "predicted good 0.15 < 0.2" in floor.skip[2]
    # a dear tier 2 (cost 80 of 90): p 0.6 saves 54 < 80: skipped on cost
    dear2 = plan_tiers(
        view_with({"tier:1": arm(0.4), "tier:2": arm(0.6)}), f, prior, 3, settings, False, {1: 10.0, 2: 80.0, 3: 90.0}
    )
    assert set(dear2.skip) == {2} and "expected saving" in dear2.skip[2]
    unknown = plan_tiers(view_with({"tier:1": arm(0.25), "tier:2": arm(0.8)}), f, prior, 3, settings, False, {1: 10.0})
    assert unknown.skip == {} and unknown.report["tier_costs"] == {"1": 10.0}
    off = LearningSettings(min_labels=10, skip_below=0.2, explore=0.0, skip_on_cost=False)
    assert plan_tiers(view_with({"tier:1": arm(0.25), "tier:2": arm(0.8)}), f, prior, 3, off, False, costs).skip == {}
    explored = plan_tiers(view_with({"tier:1": arm(0.25), "tier:2": arm(0.8)}), f, prior, 3, settings, True, costs)
    assert explored.skip == {} and explored.report["explored"]


def test_tier_costs_average_each_tiers_calls_per_request() -> None:
    costs = TierCosts()
    for i in range(4):
        costs.observe("c", [(1, 1.0), (1, 2.0), (2, 10.0 + i)])
    assert costs.of("c") == {}  # fewer than MIN_SEEN requests
    costs.observe("c", [(1, 1.5), (1, 1.5), (None, 7.0)])  # tier 2 did not run; an untiered call is ignored
    assert costs.of("c") == {1: pytest.approx(3.0)}
    costs.observe("c", [(1, 3.0), (2, 11.5)])
    assert costs.of("c") == {1: pytest.approx(3.0), 2: pytest.approx(11.5)}
    for _ in range(400):  # the moving average follows a price change
        costs.observe("c", [(1, 6.0)])
    assert costs.of("c")[1] == pytest.approx(6.0, abs=1e-6) and costs.of("other") == {}
