"""Pydantic model of the learning settings (`litellm_fusion.learning` in the proxy config).

Learning itself is switched on per cascade or routed group (`learn: true`); these settings say how much to
explore, when a learned prediction may skip a tier, and how much state Redis keeps:

```yaml
litellm_fusion:
  learning: {explore: 0.05, skip_below: 0.3, min_labels: 50, max_labels: 2000, ttl: 1209600}
```
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LearningSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    explore: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="share of a learning cascade's requests that run every tier whatever the learned model predicts, "
        "and of a learning routed group's requests routed by the shipped prior alone, so that skipped tiers and "
        "deployments keep producing labels",
    )
    skip_below: float = Field(
        default=0.3,
        gt=0,
        lt=1,
        description="a cascade tier is skipped when its learned probability of being accepted with an answer that "
        "agrees with the last tier is below this",
    )
    min_labels: int = Field(
        default=50, ge=1, description="labels of a tier before the learned model may skip it (until then: no skip)"
    )
    max_labels: int = Field(
        default=2000, ge=10, le=100_000, description="labels kept per tier or deployment (the oldest are dropped)"
    )
    ttl: int = Field(
        default=14 * 86400, ge=60, description="seconds labels and models are kept in Redis after their last update"
    )
    refit_every: int = Field(
        default=20, ge=1, description="new labels of a cascade or routed group before its model is refitted"
    )
    poll_s: float = Field(default=5.0, gt=0, description="how often a replica looks for a newer model in Redis")
    prefix: str = Field(default="litellm_fusion:learn:", min_length=1, description="our key prefix in Redis")
    seed: int | None = Field(default=None, description="seed of the exploration draws (tests, benchmarks)")
