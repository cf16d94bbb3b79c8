"""Classifier skip for cascades: the tier a prompt starts at.

A tier qualifies when its strongest model is predicted to answer the prompt with p >= target; the last tier
always qualifies. The cascade starts at the first tier that qualifies, so a prompt the classifier thinks every
cheap tier fails goes straight to a later one (their calls and latency saved, at the risk of paying more for a
prompt a cheap tier would have answered).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .difficulty_model import Estimate


@dataclass(frozen=True)
class TierStart:
    tier: int  # 1-based tier the cascade starts at
    difficulty: float
    p_success: tuple[float, ...]  # predicted success of each tier's strongest model
    target: float

    def skip_reason(self, tier: int) -> str:
        """Why tier `tier` (< self.tier) was skipped."""
        return f"classifier: predicted success {self.p_success[tier - 1]:.2f} < {self.target:g}"


def start_tier(estimate: Estimate, strengths: Sequence[float], target: float) -> TierStart:
    """`strengths`: each tier's strongest model's strength, cheapest tier first."""
    p = tuple(estimate.p_success(s) for s in strengths)
    start = next((i for i, value in enumerate(p[:-1], start=1) if value >= target), len(p))
    return TierStart(start, estimate.difficulty, p, target)
