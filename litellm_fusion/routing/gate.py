"""Complexity-gated fusion: fuse only when no single deployment is predicted to answer well.

cheap  if p_success(estimate, strength(cheap))  >= target
strong elif p_success(estimate, strength(strong)) >= target
fuse   otherwise (the whole panel, then the judge)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .difficulty_model import Estimate

GateDecision = Literal["cheap", "strong", "fuse"]


@dataclass(frozen=True)
class Gate:
    decision: GateDecision
    difficulty: float
    p_cheap: float
    p_strong: float


def gate(estimate: Estimate, cheap_strength: float, strong_strength: float, target: float) -> Gate:
    p_cheap = estimate.p_success(cheap_strength)
    p_strong = estimate.p_success(strong_strength)
    decision: GateDecision = "cheap" if p_cheap >= target else "strong" if p_strong >= target else "fuse"
    return Gate(decision, estimate.difficulty, p_cheap, p_strong)
