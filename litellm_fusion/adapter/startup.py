"""Fail the proxy at start-up on a bad fusion config.

LiteLLM has no hook after it builds its Router, but it imports the objects named in
`litellm_settings` while loading the config, when the whole resolved `model_list` is already in
`proxy_config`'s state. Validating then, and raising, makes uvicorn abort start-up
("Application startup failed") with our message naming the model and field.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..config.audit import judge_problems
from ..config.fusion import FusionModelConfig
from ..config.routing import RoutingConfigError
from ..config.settings import PluginSettings, parse_settings
from ..config.validate import fusion_configs

log = logging.getLogger("litellm_fusion")


class ConfigError(ValueError):
    """The proxy's config has fusion or routing problems; the message names every one."""


def _proxy_config() -> dict[str, Any]:
    """The config of the proxy being started (resolved), or {} outside a proxy."""
    proxy_server = sys.modules.get("litellm.proxy.proxy_server")
    if proxy_server is None:
        return {}
    proxy_config = getattr(proxy_server, "proxy_config", None)
    state = proxy_config.get_config_state() if proxy_config is not None else {}
    if state and state.get("model_list"):
        return dict(state)
    path = getattr(proxy_server, "user_config_file_path", None)  # `litellm --validate_config` path
    if path:
        import yaml

        with open(path, encoding="utf-8") as fh:
            return dict(yaml.safe_load(fh) or {})
    return {}


def _has_price(entry: Mapping[str, Any]) -> bool:
    import litellm

    params = entry.get("litellm_params") or {}
    info = entry.get("model_info") or {}
    for source in (params, info):
        if source.get("input_cost_per_token") is not None or source.get("output_cost_per_token") is not None:
            return True
    try:
        found = litellm.get_model_info(model=str(params.get("model", "")))
    except Exception:  # noqa: BLE001 - unknown model: no price
        return False
    return bool(found.get("input_cost_per_token") or found.get("output_cost_per_token"))


def warn_unpriced(model_list: list[dict[str, Any]], configs: dict[str, FusionModelConfig]) -> list[str]:
    """Panel or judge deployments LiteLLM has no price for would silently cost 0: say so."""
    used = {m for c in configs.values() for m in c.referenced_models}
    unpriced = sorted({e["model_name"] for e in model_list if e.get("model_name") in used and not _has_price(e)})
    for name in unpriced:
        log.warning(
            "litellm_fusion: model_name %r has no price in LiteLLM's cost map or its model_info; its calls "
            "will count as $0 in fusion spend (set model_info.input_cost_per_token / output_cost_per_token)",
            name,
        )
    return unpriced


def validate_settings(section: Any, model_list: list[dict[str, Any]]) -> PluginSettings:
    """Parse the `litellm_fusion:` section and check every routed group's deployments; raise one error naming
    every problem."""
    from .proxy_access.deployment_profiles import build_profile

    settings = parse_settings(section)
    problems: list[str] = []
    for group in settings.routing:
        deployments = [e for e in model_list if e.get("model_name") == group]
        if not deployments:
            problems.append(f"litellm_fusion.routing.{group}: no model_name {group!r} in model_list")
            continue
        for deployment in deployments:
            try:
                build_profile(deployment, group)
            except RoutingConfigError as exc:
                problems.append(str(exc))
        routing = settings.routing[group]
        where = f"litellm_fusion.routing.{group}"
        for key in ("learn", "audit"):
            if getattr(routing, key) and len(deployments) < 2:
                problems.append(
                    f"{where}.{key}: the group has {len(deployments)} deployment: no cheaper candidate to "
                    f"{'learn about' if key == 'learn' else 'audit'} (it needs two or more deployments)"
                )
        problems += judge_problems(where, routing.audit, [group], model_list)
        if len(deployments) < 2:
            log.warning("litellm_fusion: routed group %r has a single deployment: nothing to route", group)
    if problems:
        raise RoutingConfigError("; ".join(problems))
    return settings


def check_classifier_strengths(fusion: dict[str, FusionModelConfig], model_list: list[dict[str, Any]]) -> None:
    """Every model the classifier decides about (a gate's two, the tiers of a cascade with skip_tiers) has a
    strength; raise one error naming every one that has none."""
    from .proxy_access.deployment_profiles import model_strength

    problems: list[str] = []
    for config in fusion.values():
        needed: list[tuple[str, str]] = []
        if config.gate is not None:
            needed += [("gate.cheap", config.gate.cheap), ("gate.strong", config.gate.strong)]
        if config.skip_tiers is not None:
            needed += [(f"tiers[{i}]", m) for i, tier in enumerate(config.tiers) for m in tier.models]
        problems += [
            f"fusion model {config.name!r}: litellm_params.{field}: no strength for {name!r} "
            "(set model_info.strength on its deployments)"
            for field, name in needed
            if model_strength(model_list, name) is None
        ]
    if problems:
        raise RoutingConfigError("; ".join(problems))


@dataclass(frozen=True)
class ProxySetup:
    fusion: dict[str, FusionModelConfig]
    settings: PluginSettings


def validate_proxy_config() -> ProxySetup:
    """Validate the fusion models and routing section of the proxy being started; raise one error naming every
    problem (the fusion models', their strengths', the routing section's), so one restart shows them all."""
    config = _proxy_config()
    model_list = list(config.get("model_list") or [])
    problems: list[str] = []
    fusion: dict[str, FusionModelConfig] = {}
    settings = PluginSettings()
    try:
        fusion = fusion_configs(model_list)
    except ValueError as exc:
        problems.append(str(exc))
    try:
        check_classifier_strengths(fusion, model_list)
    except ValueError as exc:
        problems.append(str(exc))
    try:
        settings = validate_settings(config.get("litellm_fusion"), model_list)
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        print("litellm_fusion: " + "\nlitellm_fusion: ".join(problems), file=sys.stderr, flush=True)
        raise ConfigError(" | ".join(problems))
    warn_unpriced(model_list, fusion)
    if fusion and not (config.get("general_settings") or {}).get("cancel_on_disconnect"):
        log.warning(
            "litellm_fusion: general_settings.cancel_on_disconnect is off: a fusion request whose client disconnects "
            "before its first byte (any non-streaming request; a streaming one too on LiteLLM >= 1.108, whose Router "
            "reads a stream's first chunk itself) still runs (and bills) its panel and judge; set it to true to cancel them"
        )
    return ProxySetup(fusion, settings)
