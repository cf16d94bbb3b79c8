"""Per-request policies decided before fan-out: the complexity gate, the cascade's start tier and the cost cap."""

from __future__ import annotations

from typing import Any

import litellm

from ..config.fusion import PROVIDER, FusionModelConfig
from ..engine.cost_cap import ASSUMED_OUTPUT_TOKENS, CostEstimate, fit_panel
from ..routing.gate import Gate, gate
from ..routing.tier_start import TierStart, start_tier
from .deployment_profiles import model_prices, model_strength


def complexity_gate(router: Any, config: FusionModelConfig, messages: list[dict[str, Any]]) -> Gate | None:
    """Complexity gate: None (fuse) when the request has no text to classify."""
    from ..routing.model import DifficultyModel

    gate_cfg = config.gate
    assert gate_cfg is not None
    model = DifficultyModel.load()
    estimate = model.estimate_of(messages)
    if estimate is None:
        return None
    strengths = [model_strength(router.model_list, name) for name in (gate_cfg.cheap, gate_cfg.strong)]
    if None in strengths:
        raise litellm.BadRequestError(
            message=f"{config.name}: litellm_params.gate: no strength for {gate_cfg.cheap!r} or {gate_cfg.strong!r} "
            "(set model_info.strength)", model=config.name, llm_provider=PROVIDER,
        )
    return gate(estimate, strengths[0], strengths[1], gate_cfg.target_p_success)  # type: ignore[arg-type]


def cascade_start(router: Any, config: FusionModelConfig, messages: list[dict[str, Any]]) -> TierStart | None:
    """The tier a cascade with `skip_tiers` starts at; None (tier 1) when the request has no text to classify."""
    from ..routing.model import DifficultyModel

    assert config.skip_tiers is not None
    estimate = DifficultyModel.load().estimate_of(messages)
    if estimate is None:
        return None
    def strongest(models: list[str]) -> float:  # start-up checked that each model has a strength (0.0 included)
        found = [model_strength(router.model_list, m) for m in models]
        return max(s for s in found if s is not None)

    strengths = [strongest(tier.models) for tier in config.tiers]
    return start_tier(estimate, strengths, config.skip_tiers.target_p_success)


def apply_cost_cap(router: Any, config: FusionModelConfig, request: Any) -> CostEstimate:
    """Before fan-out: the worst-case estimate against max_cost_per_request (400 when over it)."""
    try:
        prompt_tokens = litellm.token_counter(model="gpt-4o", messages=request.messages)
    except Exception:  # noqa: BLE001 - an unusual message shape: estimate from characters
        prompt_tokens = sum(len(str(m.get("content", ""))) for m in request.messages) // 4 + 1
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
