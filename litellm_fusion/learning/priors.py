"""What the shipped classifier says about each arm before any label: the learned model's starting point.

- A cascade tier is good when it is accepted with an answer that agrees with the last tier. Its prior is the
  chance that each of its distinct models answers well (the classifier's `p_success` at the model's strength),
  as if independently: agreement of all of them needs all of them right, near enough.
- A routed group's cheaper deployment is good when its answer agrees with the strongest deployment's. Its prior:
  both right, or both wrong and by chance alike (CHANCE_ALIKE; a multiple-choice question has a few options).

A tier or deployment without a known strength has no prior (logit 0: even odds; the labels decide).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .features import Features, logit

CHANCE_ALIKE = 0.25


@dataclass(frozen=True)
class CascadePrior:
    tiers: tuple[tuple[float | None, ...], ...]  # each tier's distinct models' strengths, cheapest tier first

    def offset(self, arm: str, f: Features) -> float:
        tier = tier_number(arm)
        if tier is None or not 1 <= tier <= len(self.tiers):
            return 0.0
        strengths = [s for s in self.tiers[tier - 1] if s is not None]
        if not strengths:
            return 0.0
        p = 1.0
        for s in strengths:
            p *= f.estimate.p_success(s)
        return logit(p)


@dataclass(frozen=True)
class RoutingPrior:
    strengths: Mapping[str, float]  # deployment (litellm_params.model) -> strength
    top: str  # the strongest deployment: the arm every other one is compared with

    def offset(self, arm: str, f: Features) -> float:
        s_arm, s_top = self.strengths.get(arm), self.strengths.get(self.top)
        if s_arm is None or s_top is None:
            return 0.0
        p_arm, p_top = f.estimate.p_success(s_arm), f.estimate.p_success(s_top)
        return logit(p_arm * p_top + (1.0 - p_arm) * (1.0 - p_top) * CHANCE_ALIKE)


def tier_arm(tier: int) -> str:
    return f"tier:{tier}"


def tier_number(arm: str) -> int | None:
    if not arm.startswith("tier:"):
        return None
    try:
        return int(arm.removeprefix("tier:"))
    except ValueError:
        return None


def cascade_prior(tier_strengths: Sequence[Sequence[float | None]]) -> CascadePrior:
    """`tier_strengths`: per tier, the strength of each of its distinct models (None: unknown)."""
    return CascadePrior(tuple(tuple(t) for t in tier_strengths))
