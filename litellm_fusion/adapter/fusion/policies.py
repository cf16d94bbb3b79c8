"""Per-request policies decided before fan-out: the complexity gate, the cascade's start tier and the cost cap."""

from __future__ import annotations

from typing import Any

import litellm

from ...config.fusion import PROVIDER, FusionModelConfig
from ...engine.cost_cap import ASSUMED_OUTPUT_TOKENS, CostEstimate, fit_panel
from ...routing.difficulty_model import Estimate
from ...routing.gate import Gate, gate
from ...routing.tier_start import TierStart, start_tier
from ..proxy_access.deployment_profiles import model_prices, model_strength
from ..proxy_access.prompt_tokens import count as count_prompt_tokens
from ..proxy_access.router_access import deployments


def _strongest(router: Any, names: list[str]) -> float | None:
    """The strength of the strongest of these model_names (None: none has one)."""
    found = [s for s in (model_strength(deployments(router), n) for n in names) if s is not None]
    return max(found) if found else None


def complexity_gate(router: Any, config: FusionModelConfig, estimate: Estimate | None) -> Gate | None:
    """Complexity gate on the classifier's estimate of the request: None (fuse) when it has no text to classify."""
    gate_cfg = config.gate
    assert gate_cfg is not None
    if estimate is None:
        return None
    cheap, strong = (_strongest(router, [name]) for name in (gate_cfg.cheap, gate_cfg.strong))
    if cheap is None or strong is None:
        raise litellm.BadRequestError(
            message=f"{config.name}: litellm_params.gate: no strength for {gate_cfg.cheap!r} or {gate_cfg.strong!r} "
            "(set model_info.strength)",
            model=config.name,
            llm_provider=PROVIDER,
        )
    return gate(estimate, cheap, strong, gate_cfg.target_p_success)


def cascade_start(router: Any, config: FusionModelConfig, estimate: Estimate | None) -> TierStart | None:
    """The tier a cascade with `skip_tiers` starts at, from the classifier's estimate of the request; None (tier 1)
    when it has no text to classify. Start-up checked that every tier model has a strength
    (check_classifier_strengths)."""
    assert config.skip_tiers is not None
    if estimate is None:
        return None
    strengths = [_strongest(router, tier.models) for tier in config.tiers]
    return start_tier(
        estimate, [s if s is not None else float("-inf") for s in strengths], config.skip_tiers.target_p_success
    )


def apply_cost_cap(router: Any, config: FusionModelConfig, request: Any) -> CostEstimate:
    """Before fan-out: the worst-case estimate against max_cost_per_request (400 when over it)."""
    prompt_tokens = count_prompt_tokens(request.messages)
    max_output = request.params.get("max_tokens") or request.params.get("max_completion_tokens")
    fitted = fit_panel(config, prompt_tokens, max_output, lambda name: model_prices(router, name))
    if fitted.estimate > (config.max_cost_per_request or 0.0):
        kept = fitted.report.get("panel", fitted.report.get("tiers"))
        action = "" if config.cost_cap_action == "reject" else f" even shrunk to {kept}"
        raise litellm.BadRequestError(
            message=(
                f"{config.name}: estimated worst-case cost ${fitted.estimate:.6f}{action} exceeds max_cost_per_request "
                f"${config.max_cost_per_request:.6f} ({prompt_tokens} prompt tokens, "
                f"max_tokens {max_output or 'not set: assumed ' + str(ASSUMED_OUTPUT_TOKENS)}); "
                "send a smaller max_tokens or a shorter prompt"
            ),
            model=config.name,
            llm_provider=PROVIDER,
        )
    return fitted
