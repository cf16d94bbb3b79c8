"""Check every fusion model of a proxy's `model_list` against the rest of it.

Pure functions over plain dicts (the YAML's `model_list`), so the same checks run at proxy start,
at request time (for models added later through the UI/DB) and in unit tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .audit import judge_problems
from .fusion import PROVIDER, FusionConfigError, FusionModelConfig, parse_fusion_params


def is_fusion_deployment(litellm_params: Mapping[str, Any]) -> bool:
    return str(litellm_params.get("model", "")).startswith(f"{PROVIDER}/")


def fusion_configs(model_list: Iterable[Mapping[str, Any]]) -> dict[str, FusionModelConfig]:
    """Parse and cross-check every fusion model; raise FusionConfigError listing every problem."""
    entries = list(model_list or [])
    names = {str(e.get("model_name")) for e in entries if isinstance(e, Mapping)}
    configs: dict[str, FusionModelConfig] = {}
    problems: list[str] = []
    for position, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            continue
        params = entry.get("litellm_params") or {}
        if not isinstance(params, Mapping) or not is_fusion_deployment(params):
            continue
        name = entry.get("model_name")
        if not isinstance(name, str) or not name:
            problems.append(f"model_list[{position}]: a fusion deployment needs a model_name")
            continue
        try:
            config = parse_fusion_params(name, dict(params))
        except FusionConfigError as exc:
            problems.append(str(exc))
            continue
        if name in configs and configs[name] != config:
            problems.append(f"fusion model {name!r}: two deployments of it have different fusion options")
        configs[name] = config
    fusion_names = {
        str(e.get("model_name"))
        for e in entries
        if isinstance(e, Mapping) and is_fusion_deployment(e.get("litellm_params") or {})
    }
    for config in configs.values():
        problems.extend(cross_check(config, names, fusion_names))
        arms = [m for tier in config.tiers for m in tier.models]
        problems.extend(judge_problems(f"fusion model {config.name!r}: litellm_params", config.audit, arms, entries))
    if problems:
        raise FusionConfigError("invalid fusion configuration: " + "; ".join(problems))
    return configs


def cross_check(config: FusionModelConfig, model_names: set[str], fusion_names: set[str]) -> list[str]:
    """Problems with the model_names a fusion model refers to (each must be a non-fusion model_name)."""
    refs = [(f"panel[{i}]", m) for i, m in enumerate(config.panel)]
    refs += [("judge", config.judge)] if config.judge else []
    refs += [(f"tiers[{t}].models[{i}]", m) for t, tier in enumerate(config.tiers) for i, m in enumerate(tier.models)]
    refs += [("verifier.model", config.verifier.model)] if config.verifier else []
    refs += [("gate.cheap", config.gate.cheap), ("gate.strong", config.gate.strong)] if config.gate else []
    problems = []
    for field, name in refs:
        where = f"fusion model {config.name!r}: litellm_params.{field}: {name!r}"
        if name not in model_names:
            problems.append(f"{where} is not a model_name in model_list")
        elif name in fusion_names:
            problems.append(f"{where} is a fusion model; fusion models cannot call fusion models")
    return problems
