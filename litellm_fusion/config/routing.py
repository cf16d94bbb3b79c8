"""Pydantic models of the complexity-routing section of a proxy config.

```yaml
litellm_fusion:
  routing:
    auto:                  # a model_name whose deployments differ in price and strength
      mode: balanced       # cost | balanced | quality, or a number: the price weight (see below)
      caller_may_set: [mode, candidates, max_cost]   # per-request control (default: none of them)
```

Each request to a routed group goes to the deployment with the highest
`p_success - price_weight * estimated_cost / estimated_cost_of_the_strongest_candidate`: the price
weight is how much predicted success probability paying the strongest candidate's full price must buy
(a dearer but weaker candidate is never chosen and does not move the scale). The named modes are price
weights. A price weight (unlike a fixed tolerance in probability) lets a slightly dearer, clearly stronger
mid-tier model win over the cheapest one while the strongest model has to earn its price: on RouterBench's 11 models it dominates the tolerance rule it replaced
(benchmarks/RESULTS.md).
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .audit import AuditConfig


class RoutingMode(str, Enum):
    COST = "cost"
    BALANCED = "balanced"
    QUALITY = "quality"


# Predicted success probability that the strongest candidate's full price must buy.
MODE_PRICE_WEIGHT: dict[RoutingMode, float] = {
    RoutingMode.COST: 0.2,
    RoutingMode.BALANCED: 0.1,
    RoutingMode.QUALITY: 0.07,
}
MAX_PRICE_WEIGHT = 10.0


CallerField = Literal["mode", "candidates", "max_cost"]
# Where a caller sets each field: a request metadata key (or extra_body={"metadata": {...}}) and a header.
CALLER_KEYS: dict[str, tuple[str, str]] = {
    "mode": ("routing_mode", "x-litellm-routing-mode"),
    "candidates": ("routing_candidates", "x-litellm-routing-candidates"),
    "max_cost": ("routing_max_cost", "x-litellm-routing-max-cost"),
}


class NoTextRoute(str, Enum):
    STRONGEST = "strongest"
    CHEAPEST = "cheapest"


class GroupRouting(BaseModel):
    """Routing options of one model group."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: RoutingMode | float = Field(
        default=RoutingMode.BALANCED,
        description="cost | balanced | quality, or a price weight in [0, 10]: the predicted success "
        "probability that the strongest candidate's full price must buy (0 = always the most likely "
        "to succeed; 1 and above = nearly always the cheapest)",
    )
    no_text: NoTextRoute = Field(
        default=NoTextRoute.STRONGEST,
        description="where a request with no text to classify (e.g. only an image) goes",
    )
    expected_output_tokens: int = Field(
        default=400, ge=1, description="output tokens assumed when pricing a request without max_tokens"
    )
    caller_may_set: tuple[CallerField, ...] = Field(
        default=(),
        description="what a caller may choose per request (metadata routing_mode / routing_candidates / "
        "routing_max_cost, or the headers x-litellm-routing-mode / -candidates / -max-cost): mode (cost, "
        "balanced or quality), candidates (a subset of this group's deployments), max_cost (dollars for "
        "this request). Default: none; anything else sent is refused with a 400",
    )

    audit: AuditConfig | None = Field(
        default=None,
        description="live audits: a share of the requests routed to a cheaper deployment is re-asked of the "
        "group's strongest deployment (config/audit.py)",
    )
    learn: bool = Field(default=False, description="learn from audits where the cheaper deployments suffice")

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(f"mode must be cost, balanced, quality or a number between 0 and {MAX_PRICE_WEIGHT:g}")
        if isinstance(value, (int, float)):
            if not 0.0 <= float(value) <= MAX_PRICE_WEIGHT:
                raise ValueError(f"numeric mode (price weight) must be between 0 and {MAX_PRICE_WEIGHT:g}, got {value}")
            return float(value)
        if isinstance(value, str) and value not in {m.value for m in RoutingMode}:
            try:
                return cls._mode(float(value))
            except ValueError:
                raise ValueError(
                    f"mode must be cost, balanced, quality or a number between 0 and {MAX_PRICE_WEIGHT:g}, got {value!r}"
                ) from None
        return value

    @property
    def price_weight(self) -> float:
        return MODE_PRICE_WEIGHT[self.mode] if isinstance(self.mode, RoutingMode) else float(self.mode)

    @property
    def mode_name(self) -> str:
        return self.mode.value if isinstance(self.mode, RoutingMode) else f"price_weight={self.mode:g}"


class RoutingConfigError(ValueError):
    """The routing section is invalid. The message names the group and the field."""
