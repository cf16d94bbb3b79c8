"""Pick a deployment for a routed request: the best trade of predicted success against price.

Each candidate scores `p_success - price_weight * cost / max_cost` (cost of this request on it, max_cost
the most expensive candidate's); the highest score wins, ties go to the cheaper. With two deployments
this is a difficulty threshold; with more, a clearly stronger mid-priced model beats the cheapest one
without the most expensive one being chosen for every hard-ish prompt.

Pure functions over DeploymentProfiles, so the policy is testable without a proxy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


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
    p_success: dict[str, float] = field(default_factory=dict)  # model -> predicted probability
    considered: list[str] = field(default_factory=list)  # models that fit the context window
    excluded: dict[str, str] = field(default_factory=dict)  # model -> why it was not considered
    estimated_cost: float = 0.0
    strongest_cost: float = 0.0  # the same request on the strongest considered deployment


PSuccess = Callable[[float, float], float]


def choose(
    profiles: Sequence[DeploymentProfile],
    difficulty: float | None,
    p_success: PSuccess,
    price_weight: float,
    prompt_tokens: int,
    output_tokens: int,
    no_text_strongest: bool = True,
) -> Decision:
    """`difficulty` None means the request had no text to classify (routed by `no_text_strongest`)."""
    if not profiles:
        raise ValueError("no deployments to choose from")
    fits = [p for p in profiles if p.max_input_tokens is None or prompt_tokens <= p.max_input_tokens]
    excluded = {
        p.model: f"context window {p.max_input_tokens} < {prompt_tokens} prompt tokens" for p in profiles if p not in fits
    }

    def cost(p: DeploymentProfile) -> float:
        return p.request_cost(prompt_tokens, output_tokens)

    if not fits:  # let the deployment with the largest window answer (or raise LiteLLM's context error)
        chosen = max(profiles, key=lambda p: p.max_input_tokens or 0)
        return Decision(chosen, "no context window fits the prompt: largest window", difficulty, excluded=excluded,
                        estimated_cost=cost(chosen), strongest_cost=cost(chosen))
    strongest = max(fits, key=lambda p: (p.strength, -cost(p)))
    if difficulty is None:
        chosen = strongest if no_text_strongest else min(fits, key=lambda p: (cost(p), -p.strength))
        return Decision(chosen, f"no text to classify: {'strongest' if no_text_strongest else 'cheapest'}",
                        None, considered=[p.model for p in fits], excluded=excluded,
                        estimated_cost=cost(chosen), strongest_cost=cost(strongest))
    probs = {p.model: p_success(difficulty, p.strength) for p in fits}
    costs = {p.model: cost(p) for p in fits}
    top = max(costs.values())
    scale = price_weight / top if top > 0 else 0.0
    chosen = max(fits, key=lambda p: (probs[p.model] - scale * costs[p.model], -costs[p.model], p.strength))
    best = max(probs.values())
    reason = (
        f"difficulty {difficulty:.2f}: p_success {probs[chosen.model]:.2f} (best {best:.2f}) at "
        f"{costs[chosen.model] / top if top > 0 else 0.0:.0%} of the top price, price weight {price_weight:g}"
    )
    return Decision(chosen, reason, difficulty, p_success=probs, considered=[p.model for p in fits],
                    excluded=excluded, estimated_cost=cost(chosen), strongest_cost=cost(strongest))
