"""The fusion engine: fan-out, modes and judge. Independent of LiteLLM (inner calls go through a Caller)."""

from .runner import FusionEngine
from .types import Caller, CallRecord, Completion, FusionError, FusionResult, InnerCallError

__all__ = ["CallRecord", "Caller", "Completion", "FusionEngine", "FusionError", "FusionResult", "InnerCallError"]
