"""The plugin's own top-level section of a proxy config:

```yaml
litellm_fusion:
  routing: {<group>: {mode: balanced}}      # complexity routing (config/routing.py)
  judge_cache: {ttl: 86400, timeout_ms: 100} # judge decisions in Redis (config/cache.py)
  audits: {max_concurrent: 8}                # live audits' runner and shared estimates (config/audit.py)
  learning: {explore: 0.05}                  # what `learn: true` models do (config/learning.py)
```
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .audit import AuditRunnerSettings
from .cache import JudgeCacheSettings
from .errors import field_problems
from .learning import LearningSettings
from .routing import GroupRouting, RoutingConfigError


class PluginSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    routing: dict[str, GroupRouting] = Field(default_factory=dict)
    judge_cache: JudgeCacheSettings = Field(default_factory=JudgeCacheSettings)
    audits: AuditRunnerSettings = Field(default_factory=AuditRunnerSettings)
    learning: LearningSettings = Field(default_factory=LearningSettings)


def parse_settings(section: Any) -> PluginSettings:
    """Parse the top-level `litellm_fusion:` section; errors name the field."""
    if section is None:
        return PluginSettings()
    try:
        return PluginSettings.model_validate(section)
    except ValidationError as exc:
        problems = field_problems(exc, "litellm_fusion", "unknown option")
        raise RoutingConfigError("invalid litellm_fusion configuration: " + "; ".join(problems)) from None
