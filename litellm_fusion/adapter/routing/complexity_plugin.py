"""Our difficulty classifier as a `classifier_plugin` for LiteLLM's built-in complexity router.

```yaml
- model_name: smart
  litellm_params:
    model: auto_router/complexity_router
    complexity_router_config:
      tiers: {SIMPLE: gpt-4o-mini, MEDIUM: gpt-4.1, COMPLEX: claude-sonnet-4-5, REASONING: o3}
      classifier_type: custom
      classifier_plugin: litellm_fusion.complexity_classifier
```

LiteLLM's router asks for a tier name; we answer with the lowest tier whose typical model (see
`TIER_STRENGTHS`, on the strengths scale of `routing/strengths.py`) is predicted to answer well enough
(`TARGET_P_SUCCESS`), else REASONING. A request with no text is declined (None), so LiteLLM's
`classifier_fallback` decides, as documented by LiteLLM.
"""

from __future__ import annotations

from typing import Any

# Typical strength of the models operators put in each tier (gpt-4o-mini, gpt-4.1, claude-sonnet, o3).
TIER_STRENGTHS = (("SIMPLE", 1.8), ("MEDIUM", 2.7), ("COMPLEX", 3.0))
# A tier answers when its predicted success probability is at least this.
TARGET_P_SUCCESS = 0.9


class FusionComplexityClassifier:
    def __init__(self, target: float = TARGET_P_SUCCESS) -> None:
        from ...routing.difficulty_model import DifficultyModel

        self.model = DifficultyModel.load()
        self.target = target

    def tier(self, estimate: Any) -> str:
        for tier, strength in TIER_STRENGTHS:
            if estimate.p_success(strength) >= self.target:
                return tier
        return "REASONING"

    async def classify(self, context: Any) -> str | None:
        estimate = self.model.estimate_of([dict(m) for m in getattr(context, "raw_messages", ()) or ()])
        return None if estimate is None else self.tier(estimate)
