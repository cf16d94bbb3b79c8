"""litellm-fusion: fusion virtual models and complexity routing for a LiteLLM proxy.

Wire it from the proxy's config.yaml:

    litellm_settings:
      custom_provider_map: [{provider: fusion, custom_handler: litellm_fusion.fusion_handler}]
      callbacks: [litellm_fusion.fusion_callbacks]

The proxy objects are created on first access, which is when the proxy loads its config: the
fusion models of that config are validated then, and a bad one stops the proxy at start-up.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_objects: dict[str, Any] = {}


def _proxy_object(name: str) -> Any:
    if "fusion_handler" not in _objects:
        from .adapter.callbacks import FusionCallbacks, RoutingCallbacks
        from .adapter.fusion.handler import FusionHandler
        from .adapter.learning import LearningRuntime
        from .adapter.startup import validate_proxy_config

        setup = validate_proxy_config()
        if any(c.gate is not None for c in setup.fusion.values()):
            from .routing.difficulty_model import DifficultyModel

            DifficultyModel.load()  # read the classifier artifact now, not on the first request
        from .adapter.audit.audit_service import AuditService
        from .adapter.guards.shutdown_hook import on_proxy_shutdown

        audits = _objects["audits"] = AuditService(setup.settings, setup.fusion)  # live audits (docs/audit.md)
        on_proxy_shutdown(audits.shutdown)  # audits still running are cancelled and counted, never silently lost
        learning = LearningRuntime(setup.settings)  # one learner per process: labels, models, exploration draws
        audits.labels = learning.learner  # audits, escalation checks and acceptances feed it (docs/learning.md)
        _objects["fusion_handler"] = FusionHandler(setup.settings, audits, learning)
        callbacks = RoutingCallbacks if setup.settings.routing else FusionCallbacks
        _objects["fusion_callbacks"] = callbacks(setup.settings, frozenset(setup.fusion), audits, learning)
    return _objects[name]


def __getattr__(name: str) -> Any:
    if name in ("fusion_handler", "fusion_callbacks", "audits"):
        return _proxy_object(name)
    if name == "complexity_classifier":  # classifier_plugin for LiteLLM's auto_router/complexity_router
        if name not in _objects:
            from .adapter.routing.complexity_plugin import FusionComplexityClassifier

            _objects[name] = FusionComplexityClassifier()
        return _objects[name]
    raise AttributeError(f"module 'litellm_fusion' has no attribute {name!r}")
