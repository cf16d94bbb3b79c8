"""Labelled outcomes from live traffic: whether a cheaper arm's answer (a cascade tier, or a routed group's
cheaper deployment) agreed with the top arm's answer (the last tier, the strongest deployment) on a request.

Producers: audits (a sampled share of answers re-asked of the top arm in the background) and escalation checks
(a cascade that escalated to its last tier compares each earlier tier's answers with the last tier's, at no extra
cost). Consumer: the learner (litellm_fusion/learning), which turns each label into features of the prompt and
stores only those (never the prompt text), and learns where the cheap arms suffice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

LabelSource = Literal["audit", "escalation_check", "acceptance"]


@dataclass(frozen=True)
class Label:
    scope: str  # the cascade's model_name, or the routed group's name
    arm: str  # "tier:<n>" (1-based) for a cascade tier, or the deployment's model_name for a routed group
    messages: Sequence[
        dict[str, Any]
    ]  # the request's messages: the learner reads features from them, never stores them
    good: bool  # the arm's answer agreed with the top arm's (undecided comparisons give no label)
    source: LabelSource


class LabelSink(Protocol):
    async def observe(self, label: Label) -> None:
        """Record one label. Never raises; must not block the event loop (store in the background if slow)."""
        ...


class NoLabels:
    """The sink when learning is off: labels are dropped."""

    async def observe(self, label: Label) -> None:
        return None
