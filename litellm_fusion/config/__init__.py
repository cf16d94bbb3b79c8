"""Pydantic models of every configuration surface."""

from .fusion import FusionConfigError, FusionMode, FusionModelConfig, parse_fusion_params

__all__ = ["FusionConfigError", "FusionMode", "FusionModelConfig", "parse_fusion_params"]
