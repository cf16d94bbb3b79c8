"""How a learned model changes a request: the tiers a cascade skips, the success a routed deployment is given.

Cascade: tier t (never the last) is skipped when its model, fitted on at least `min_labels` of the tier's labels,
predicts P(accepted with an answer that agrees with the last tier) < `skip_below`. An exploring request (a share
`explore`) skips nothing, so skipped tiers keep producing labels.

Routed group: the learned model predicts how likely a cheaper deployment's answer agrees with the strongest's.
Disagreement is what a gain needs (the two can differ in correctness only where they disagree), but it does not
say which of them was right, nor whether both were wrong: so the learned rate scales the prior's predicted gain
rather than replacing it:
    p = p_top - (p_top - p_prior) * (1 - P_learned(agree)) / (1 - P_prior(agree))
A model fitted on no labels is the prior; where this traffic's cheap answers disagree more often than the prior
expected, the deployment's estimate falls (its predicted gain grows), and where they agree more, it rises.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config.learning import LearningSettings
from .features import Features
from .learner import View
from .priors import CascadePrior, RoutingPrior, tier_arm


@dataclass
class TierPlan:
    skip: dict[int, str] = field(default_factory=dict)  # tier -> reason (engine/cascade.py `skip`)
    report: dict[str, Any] = field(default_factory=dict)  # spend_logs_metadata.fusion.learning


def model_label(view: View) -> str:
    """How a decision names the learned model: version and label count."""
    if view.model is None:
        return f"no learned model ({view.state}, {view.labels} labels)"
    return f"learned model v{view.model.version} ({view.labels} labels)"


def describe(report: Mapping[str, Any]) -> str:
    """One line for headers and LiteLLM's routing record, from a decision's `learning` report."""
    version = report.get("model_version")
    state = report.get("state")
    head = (
        f"learned v{version}"
        if version
        else "prior (learning store unavailable)"
        if state == "unavailable"
        else "prior"
    )
    parts = [head, f"{report.get('labels', 0)} labels"]
    if report.get("skipped"):
        parts.append("skipped tier " + ",".join(str(t) for t in report["skipped"]))
    if report.get("explored"):
        parts.append("explored")
    return "; ".join(parts)


def plan_tiers(
    view: View, features: Features | None, prior: CascadePrior, tiers: int, settings: LearningSettings, explore: bool
) -> TierPlan:
    """The tiers a learning cascade skips for this request, and what the spend metadata says about it."""
    p_good: list[float | None] = []
    plan = TierPlan()
    for t in range(1, tiers):
        arm = view.model.arms.get(tier_arm(t)) if view.model is not None and features is not None else None
        if arm is None or features is None or arm.n < settings.min_labels:
            p_good.append(None)
            continue
        p = arm.predict(features, prior.offset(tier_arm(t), features))
        p_good.append(round(p, 4))
        if p < settings.skip_below and not explore:
            plan.skip[t] = f"{model_label(view)}: predicted good {p:.2f} < {settings.skip_below:g}"
    would_skip = any(p is not None and p < settings.skip_below for p in p_good)
    plan.report = {
        **view.report(),
        "p_good": p_good,
        "skip_below": settings.skip_below,
        "skipped": sorted(plan.skip),
        "explored": bool(explore and would_skip),
    }
    return plan


def routing_success(view: View, features: Features | None, prior: RoutingPrior) -> dict[str, float]:
    """Learned success estimates of the cheaper deployments with a fitted arm ({} when there is none): the
    deployments not in it keep the prior's."""
    if view.model is None or features is None:
        return {}
    out: dict[str, float] = {}
    s_top = prior.strengths.get(prior.top)
    if s_top is None:
        return out
    p_top = features.estimate.p_success(s_top)
    for deployment, strength in prior.strengths.items():
        arm = view.model.arms.get(deployment)
        if deployment == prior.top or arm is None or arm.n == 0:
            continue
        offset = prior.offset(deployment, features)
        ratio = (1.0 - arm.predict(features, offset)) / max(1e-6, 1.0 - _sigmoid(offset))
        gain = p_top - features.estimate.p_success(strength)
        out[deployment] = min(1.0, max(0.0, p_top - gain * ratio))
    return out


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
