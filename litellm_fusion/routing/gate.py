"""Complexity-gated fusion: fuse only when no single deployment is predicted to answer well.

cheap  if p_success(difficulty, strength(cheap))  >= target
strong elif p_success(difficulty, strength(strong)) >= target
fuse   otherwise (the whole panel, then the judge)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

GateDecision = Literal["cheap", "strong", "fuse"]


@dataclass(frozen=True)
class Gate:
    decision: GateDecision
    difficulty: float
    p_cheap: float
    p_strong: float


def gate(
    difficulty: float,
    cheap_strength: float,
    strong_strength: float,
    target: float,
    p_success: Callable[[float, float], float],
) -> Gate:
    p_cheap = p_success(difficulty, cheap_strength)
    p_strong = p_success(difficulty, strong_strength)
    decision: GateDecision = "cheap" if p_cheap >= target else "strong" if p_strong >= target else "fuse"
    return Gate(decision, difficulty, p_cheap, p_strong)
