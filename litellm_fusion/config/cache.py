"""Pydantic model of the judge-cache settings (`litellm_fusion.judge_cache` in the proxy config)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class JudgeCacheSettings(BaseModel):
    """Judge decisions cached in the Redis LiteLLM already uses (router_settings redis_* or cache settings)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, description="off: never read or write the judge cache")
    ttl: int = Field(
        default=86400, ge=1, description="seconds a decision stays cached (per fusion model: judge_cache_ttl)"
    )
    timeout_ms: float = Field(default=100.0, gt=0, le=10_000, description="bound on one Redis read or write")
    prefix: str = Field(default="litellm_fusion:judge:", min_length=1, description="our key prefix in Redis")
    warn_interval_s: float = Field(
        default=60.0, gt=0, description="at most one 'Redis unavailable' warning per interval"
    )
