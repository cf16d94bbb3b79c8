"""Fusion modes: one object per mode (base.py says what a mode states), mapped from FusionMode in table.py."""

from .base import CostEstimate, Mode
from .table import MODES, mode_of

__all__ = ["MODES", "CostEstimate", "Mode", "mode_of"]
