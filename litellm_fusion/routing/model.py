"""Difficulty model: predicts an item-response-theory difficulty from request text.

P(model m answers prompt q well) = sigmoid(a * (strength_m - difficulty_q)), with strengths from
`strengths.py` and difficulty from `DifficultyModel.difficulty(text)`, both on one scale (logits; see the
artifact's `scale` note and `scripts/train_router.py`). Pure Python + stdlib, no network.
"""

from __future__ import annotations

import gzip
import json
import math
import threading
from itertools import repeat
from pathlib import Path
from typing import Any

from .features import DENSE_NAMES, extract
from .text import request_text

ARTIFACT_PATH = Path(__file__).with_name("difficulty_model.json.gz")

_default: DifficultyModel | None = None
_lock = threading.Lock()


def _read_artifact(path: Path) -> dict[str, Any]:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return json.loads(raw)


class DifficultyModel:
    """Linear regressor over hashed-free n-gram and dense features, trained on IRT difficulties."""

    __slots__ = (
        "version", "a", "bias", "_uni", "_bi", "_dense_w", "_dense_mean", "_dense_scale", "_lo", "_hi",
        "empty_difficulty", "strengths", "meta",
    )

    def __init__(self, artifact: dict[str, Any]):
        if artifact.get("format") != "litellm-fusion-difficulty/1":
            raise ValueError(f"unknown difficulty artifact format: {artifact.get('format')!r}")
        if list(artifact["dense_names"]) != list(DENSE_NAMES):
            raise ValueError("difficulty artifact was trained with other dense features")
        self.version: str = artifact["version"]
        self.a: float = float(artifact["a"])
        self.bias: float = float(artifact["bias"])
        self._uni: dict[str, float] = {k: float(v) for k, v in artifact["unigrams"].items()}
        self._bi: dict[tuple[str, str], float] = {
            tuple(k.split(" ", 1)): float(v) for k, v in artifact["bigrams"].items()  # type: ignore[misc]
        }
        self._dense_w = [float(w) for w in artifact["dense_weights"]]
        self._dense_mean = [float(m) for m in artifact["dense_mean"]]
        self._dense_scale = [float(s) for s in artifact["dense_scale"]]
        self._lo, self._hi = (float(x) for x in artifact["clamp"])
        self.empty_difficulty: float = float(artifact["empty_difficulty"])
        self.strengths: dict[str, float] = {k: float(v) for k, v in artifact.get("strengths", {}).items()}
        self.meta: dict[str, Any] = {
            k: v for k, v in artifact.items() if k not in ("unigrams", "bigrams", "heldout")
        }

    @classmethod
    def load(cls, path: str | Path | None = None) -> DifficultyModel:
        """The model in `path`, or the artifact shipped in the package (read once, then shared)."""
        global _default
        if path is not None:
            return cls(_read_artifact(Path(path)))
        if _default is None:
            with _lock:
                if _default is None:
                    _default = cls(_read_artifact(ARTIFACT_PATH))
        return _default

    def difficulty(self, text: str) -> float:
        """Predicted difficulty of `text` (higher = a stronger model is needed)."""
        if not text:
            return self.empty_difficulty
        uni, bi, dense = extract(text)
        n = len(uni) + len(bi)
        s = self.bias
        if n:
            z = repeat(0.0)
            s += (sum(map(self._uni.get, uni, z)) + sum(map(self._bi.get, bi, z))) / math.sqrt(n)
        for w, x, m, sc in zip(self._dense_w, dense, self._dense_mean, self._dense_scale):
            s += w * (x - m) / sc
        if s < self._lo:
            return self._lo
        if s > self._hi:
            return self._hi
        return s

    def difficulty_of(self, messages: Any) -> float | None:
        """Difficulty of a chat request (its current ask in context, see `request_text`); None when it has
        no text to classify (e.g. only an image)."""
        text = request_text(messages)
        return self.difficulty(text) if text.strip() else None

    def p_success(self, difficulty: float, strength: float) -> float:
        """P(a model of `strength` answers a prompt of `difficulty` as well as needed)."""
        x = self.a * (strength - difficulty)
        if x >= 0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)
