"""What a cascade request would have cost had it always used its last tier (the savings baseline).

- The last tier ran: what its calls cost (the escalation was pure overhead: savings are negative).
- It did not: the last tier's calls priced by LiteLLM (each model_name's most expensive deployment, as the
  cost cap prices them) on the usage of the call whose answer was returned: same prompt tokens, same
  answer length. An estimate, stated as such in the metadata (`baseline: estimated`).
"""

from __future__ import annotations

from typing import Any

from ...config.fusion import FusionModelConfig
from ...engine.records import FusionResult
from ..proxy_access.deployment_profiles import model_prices


def cascade_baseline(router: Any, config: FusionModelConfig, result: FusionResult) -> tuple[float, str]:
    """(baseline cost, how it was had: `last tier ran` or `estimated`)."""
    last = len(config.tiers)
    ran = [c for c in result.calls if c.tier == last and c.role == "member"]
    if ran:
        return sum(c.cost for c in ran), "last tier ran"
    report = result.cascade
    winner = result.winner
    source = next(
        (
            c
            for c in result.calls
            if report is not None
            and c.tier == report.tier_reached
            and c.role == "member"
            and c.ok
            and winner is not None
            and c.model == winner.model
        ),
        None,
    )
    if source is None:
        return 0.0, "estimated"
    total = 0.0
    for model in config.tiers[-1].call_models():
        price_in, price_out = model_prices(router, model)
        total += source.prompt_tokens * price_in + source.completion_tokens * price_out
    return total, "estimated"
