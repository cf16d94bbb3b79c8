"""Where labels and models live: the interface the learner uses, implemented on Redis by
adapter/stores/redis_learning_store.py (every replica sharing that Redis shares the labels and the models).

Per cascade or routed group (its `scope`): a capped, TTL'd list of label records per arm (newest first), the
number of labels observed, the published model and its version, and a short lock so that one replica at a time
refits. Label records hold the label and the request's `Features` (hashed buckets and numbers), never text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from .features import Features


class StoreUnavailable(Exception):
    """The store could not be reached in time (the learner falls back to the shipped prior)."""


@dataclass(frozen=True)
class LabelRecord:
    y: float  # 1: the arm's answer was good, 0: it was not
    source: str  # audit | escalation_check | acceptance | outcome
    at: float  # unix time
    features: Features

    def encode(self) -> str:
        return json.dumps({"y": self.y, "src": self.source, "t": round(self.at, 3), "f": self.features.encode()})

    @classmethod
    def decode(cls, raw: str | bytes) -> LabelRecord | None:
        """None for anything that is not a label record (a foreign or corrupt value is skipped)."""
        try:
            data: Any = json.loads(raw)
            return cls(float(data["y"]), str(data["src"]), float(data["t"]), Features.decode(data["f"]))
        except (KeyError, TypeError, ValueError, AttributeError):
            return None


class LearningStore(Protocol):
    async def add_label(self, scope: str, arm: str, record: str, max_labels: int, ttl: int) -> int:
        """Store one label record; returns the number of labels the scope has observed (all arms)."""
        ...

    async def read_labels(self, scope: str) -> dict[str, list[str]]:
        """Every arm's stored label records, newest first."""
        ...

    async def label_count(self, scope: str) -> int: ...

    async def model_version(self, scope: str) -> int:
        """The published model's version (0: none yet)."""
        ...

    async def read_model(self, scope: str) -> str | None: ...

    async def publish_model(self, scope: str, version: int, encoded: str, ttl: int) -> None:
        """Store `encoded` as the scope's model, then `version` as its version (only the lock holder publishes)."""
        ...

    async def try_lock(self, scope: str, seconds: int) -> bool: ...

    async def unlock(self, scope: str) -> None: ...
