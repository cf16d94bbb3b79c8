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


def test_the_documented_learning_defaults_are_the_defaults() -> None:
    """docs/learning.md shows the `learning:` block "with the defaults": each value there is LearningSettings' own
    (an operator copies them; the explore default once said 0.05 in the docs and 0.1 in the code)."""
    import yaml

    from tests.support.replay_upstream import REPO

    text = (REPO / "docs" / "learning.md").read_text()
    block = text.split("```yaml", 1)[1].split("```", 1)[0]
    documented = yaml.safe_load(block)["litellm_fusion"]["learning"]
    defaults = LearningSettings().model_dump()
    assert documented and all(defaults[key] == value for key, value in documented.items()), documented
