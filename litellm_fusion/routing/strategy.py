"""Pick a deployment for a routed request: the best trade of predicted success against price.

Each candidate scores `p_success - price_weight * cost / top_cost` (cost of this request on it, top_cost the
strongest candidate's: the price of the best predicted success); the highest score wins, ties go to the
cheaper. With two deployments this is a difficulty threshold; with more, a clearly stronger mid-priced model
beats the cheapest one without the strongest one being chosen for every hard-ish prompt. A deployment dearer
than the strongest is never chosen (its success is predicted lower at a higher price) and does not change the
choice among the others: normalising by the dearest candidate instead made a dominated, expensive deployment
(claude-sonnet-4-5 next to o3) make the strongest look half price.

Pure functions over DeploymentProfiles, so the policy is testable without a proxy.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

from .difficulty_model import Estimate


@dataclass(frozen=True)
class DeploymentProfile:
    id: str  # LiteLLM's model_info.id
    model: str  # litellm_params.model, e.g. openai/gpt-4o-mini
    input_cost: float  # $ per input token
    output_cost: float  # $ per output token
    strength: float  # on the difficulty scale of the classifier
    max_input_tokens: int | None = None

    def request_cost(self, prompt_tokens: int, output_tokens: int) -> float:
        return self.input_cost * prompt_tokens + self.output_cost * output_tokens


@dataclass
class Decision:
    chosen: DeploymentProfile
    reason: str
    difficulty: float | None
    slope: float | None = None
    p_success: dict[str, float] = field(default_factory=dict)  # model -> predicted probability
    considered: list[str] = field(default_factory=list)  # models that fit the context window
    excluded: dict[str, str] = field(default_factory=dict)  # model -> why it was not considered
    estimated_cost: float = 0.0
    strongest: DeploymentProfile | None = None  # what the choice is compared against (savings)
    strongest_cost: float = 0.0  # the same request on `strongest`


def dollars(amount: float) -> str:
    """An amount of dollars with the digits it needs to be read: $0.0000001, $0.00024, $1.5 (never $0.000000)."""
    if amount == 0 or not math.isfinite(amount):
        return f"${amount:g}"
    decimals = min(20, max(2, 2 - math.floor(math.log10(abs(amount)))))
    return "$" + f"{amount:.{decimals}f}".rstrip("0").rstrip(".")


class NoCandidate(ValueError):
    """The caller's limits (candidates, cost ceiling) leave no deployment to choose from."""


def caller_limits(
    profiles: Sequence[DeploymentProfile],
    allowed: Collection[str] | None,
    max_cost: float | None,
    prompt_tokens: int,
    output_tokens: int,
) -> tuple[list[DeploymentProfile], dict[str, str]]:
    """The deployments left after the caller's own limits (ids in `allowed`, estimated cost <= `max_cost`),
    and why each other one was left out. Raises NoCandidate when none is left."""
    kept: list[DeploymentProfile] = []
    excluded: dict[str, str] = {}
    for p in profiles:
        cost = p.request_cost(prompt_tokens, output_tokens)
        if allowed is not None and p.id not in allowed:
            excluded[p.model] = "not among the caller's candidates"
        elif max_cost is not None and cost > max_cost:
            excluded[p.model] = f"estimated {dollars(cost)} over the caller's max_cost {dollars(max_cost)}"
        else:
            kept.append(p)
    if not kept:
        raise NoCandidate("; ".join(f"{m}: {why}" for m, why in excluded.items()))
    return kept, excluded


def choose(
    profiles: Sequence[DeploymentProfile],
    estimate: Estimate | None,
    price_weight: float,
    prompt_tokens: int,
    output_tokens: int,
    no_text_strongest: bool = True,
    allowed: Collection[str] | None = None,
    max_cost: float | None = None,
    p_success: Mapping[str, float] | None = None,
) -> Decision:
    """`estimate` None means the request had no text to classify (routed by `no_text_strongest`).
    `allowed` (deployment ids) and `max_cost` (dollars for this request) are the caller's limits, applied
    before anything else (NoCandidate when they leave nothing). `p_success`: success estimates that replace the
    classifier's for the deployments they name (by `model`; learned from this traffic's labels, learning/policy.py)."""
    difficulty = None if estimate is None else estimate.difficulty
    if not profiles:
        raise ValueError("no deployments to choose from")
    fits: list[tuple[DeploymentProfile, float]] = []  # (profile, cost of this request on it)
    excluded: dict[str, str] = {}
    if allowed is not None or max_cost is not None:
        profiles, excluded = caller_limits(profiles, allowed, max_cost, prompt_tokens, output_tokens)
    for p in profiles:
        if p.max_input_tokens is None or prompt_tokens <= p.max_input_tokens:
            fits.append((p, p.request_cost(prompt_tokens, output_tokens)))
        else:
            excluded[p.model] = f"context window {p.max_input_tokens} < {prompt_tokens} prompt tokens"

    if not fits:  # let the deployment with the largest window answer (or raise LiteLLM's context error)
        chosen = max(profiles, key=lambda p: p.max_input_tokens or 0)
        cost = chosen.request_cost(prompt_tokens, output_tokens)
        return Decision(
            chosen,
            "no context window fits the prompt: largest window",
            difficulty,
            excluded=excluded,
            estimated_cost=cost,
            strongest=chosen,
            strongest_cost=cost,
        )
    considered = [p.model for p, _ in fits]
    strongest, strongest_cost = max(fits, key=lambda pc: (pc[0].strength, -pc[1]))
    if estimate is None:
        chosen, cost = (
            (strongest, strongest_cost) if no_text_strongest else min(fits, key=lambda pc: (pc[1], -pc[0].strength))
        )
        return Decision(
            chosen,
            f"no text to classify: {'strongest' if no_text_strongest else 'cheapest'}",
            None,
            considered=considered,
            excluded=excluded,
            estimated_cost=cost,
            strongest=strongest,
            strongest_cost=strongest_cost,
        )
    learned = p_success or {}
    probs = [learned[p.model] if p.model in learned else estimate.p_success(p.strength) for p, _ in fits]
    top = strongest_cost  # what the best predicted success costs; a dearer, weaker deployment changes nothing
    scale = price_weight / top if top > 0 else 0.0
    i = max(range(len(fits)), key=lambda k: (probs[k] - scale * fits[k][1], -fits[k][1], fits[k][0].strength))
    chosen, cost = fits[i]
    reason = (
        f"difficulty {estimate.difficulty:.2f} (slope {estimate.slope:.2f}): p_success {probs[i]:.2f} (best {max(probs):.2f}) at "
        f"{cost / top if top > 0 else 0.0:.0%} of the strongest's price, price weight {price_weight:g}"
    )
    return Decision(
        chosen,
        reason,
        difficulty,
        estimate.slope,
        p_success={p.model: pr for (p, _), pr in zip(fits, probs)},
        considered=considered,
        excluded=excluded,
        estimated_cost=cost,
        strongest=strongest,
        strongest_cost=strongest_cost,
    )


def redirected(decision: Decision, to: DeploymentProfile, prompt_tokens: int, output_tokens: int, why: str) -> Decision:
    """The same decision sent to another considered deployment (learning's exploration), saying why."""
    return replace(
        decision,
        chosen=to,
        estimated_cost=to.request_cost(prompt_tokens, output_tokens),
        reason=f"{why} (the policy chose {decision.chosen.model}: {decision.reason})",
    )
