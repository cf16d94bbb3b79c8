"""The fusion engine: fan-out, modes and judge. Independent of LiteLLM (inner calls go through a Caller)."""

from .records import Caller, CallRecord, Completion, FusionError, FusionResult, InnerCallError
from .runner import FusionEngine

__all__ = ["CallRecord", "Caller", "Completion", "FusionEngine", "FusionError", "FusionResult", "InnerCallError"]
