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

LiteLLM's router asks for a tier name; we map our difficulty to its four tiers. A tier's boundary is
the difficulty at which a model of that tier's typical strength (see `TIER_STRENGTHS`, on the
strengths scale of `routing/strengths.py`) stops being likely enough to answer well. A request with
no text is declined (None), so LiteLLM's `classifier_fallback` decides, as documented by LiteLLM.
"""

from __future__ import annotations

import math
from typing import Any


# Typical strength of the models operators put in each tier (gpt-4o-mini, gpt-4.1, claude-sonnet, o3).
TIER_STRENGTHS = (("SIMPLE", 1.8), ("MEDIUM", 2.7), ("COMPLEX", 3.0))
# A tier answers when its predicted success probability is at least this.
TARGET_P_SUCCESS = 0.9


class FusionComplexityClassifier:
    def __init__(self, target: float = TARGET_P_SUCCESS) -> None:
        from ..routing.model import DifficultyModel

        self.model = DifficultyModel.load()
        margin = math.log(target / (1 - target)) / self.model.a  # strength - difficulty needed for `target`
        self.boundaries = [(tier, strength - margin) for tier, strength in TIER_STRENGTHS]

    def tier(self, difficulty: float) -> str:
        for tier, max_difficulty in self.boundaries:
            if difficulty <= max_difficulty:
                return tier
        return "REASONING"

    async def classify(self, context: Any) -> str | None:
        difficulty = self.model.difficulty_of([dict(m) for m in getattr(context, "raw_messages", ()) or ()])
        return None if difficulty is None else self.tier(difficulty)
