"""Pydantic models of the complexity-routing section of a proxy config.

```yaml
litellm_fusion:
  routing:
    auto:                  # a model_name whose deployments differ in price and strength
      mode: balanced       # cost | balanced | quality, or a number: the tolerance (see below)
```

Each request to a routed group goes to the cheapest deployment whose predicted probability of
answering well is within `tolerance` of the best deployment's. The named modes are tolerances.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class RoutingMode(str, Enum):
    COST = "cost"
    BALANCED = "balanced"
    QUALITY = "quality"


# Allowed drop in predicted success probability vs. the strongest available deployment.
MODE_TOLERANCE: dict[RoutingMode, float] = {
    RoutingMode.COST: 0.15,
    RoutingMode.BALANCED: 0.07,
    RoutingMode.QUALITY: 0.03,
}


class NoTextRoute(str, Enum):
    STRONGEST = "strongest"
    CHEAPEST = "cheapest"


class GroupRouting(BaseModel):
    """Routing options of one model group."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: RoutingMode | float = Field(
        default=RoutingMode.BALANCED,
        description="cost | balanced | quality, or a tolerance in [0, 1]: the largest drop in predicted "
        "success probability accepted to save money (0 = always the strongest-equivalent)",
    )
    no_text: NoTextRoute = Field(
        default=NoTextRoute.STRONGEST,
        description="where a request with no text to classify (e.g. only an image) goes",
    )
    expected_output_tokens: int = Field(
        default=400, ge=1, description="output tokens assumed when pricing a request without max_tokens"
    )

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("mode must be cost, balanced, quality or a number between 0 and 1")
        if isinstance(value, (int, float)):
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"numeric mode (tolerance) must be between 0 and 1, got {value}")
            return float(value)
        if isinstance(value, str) and value not in {m.value for m in RoutingMode}:
            try:
                return cls._mode(float(value))
            except ValueError:
                raise ValueError(f"mode must be cost, balanced, quality or a number between 0 and 1, got {value!r}") from None
        return value

    @property
    def tolerance(self) -> float:
        return MODE_TOLERANCE[self.mode] if isinstance(self.mode, RoutingMode) else float(self.mode)

    @property
    def mode_name(self) -> str:
        return self.mode.value if isinstance(self.mode, RoutingMode) else f"tolerance={self.mode:g}"


class RoutingConfigError(ValueError):
    """The routing section is invalid. The message names the group and the field."""
