"""Difficulty model: predicts how likely a model of a given strength answers a request well.

P(model m answers prompt q well) = sigmoid(slope_q * (strength_m - difficulty_q)), with strengths from
`strengths.py` and (difficulty_q, slope_q) from `DifficultyModel.estimate(text)`, on one scale (logits; see
the artifact's `scale` note and `scripts/train_router.py`). The slope says how sure the model is: 1 would be a
perfectly known difficulty; it is lower for every prompt (difficulty from text is uncertain) and lowest for a
prompt made of words and phrases the model never saw in training, where strong and weak deployments get
close probabilities and the price decides. Pure Python + stdlib, no network.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .features import DENSE_NAMES, extract
from .text import request_text

ARTIFACT_PATH = Path(__file__).with_name("difficulty_model.json.gz")
ARTIFACT_ENV = "LITELLM_FUSION_DIFFICULTY_MODEL"
FORMAT = "litellm-fusion-difficulty/2"

_default: DifficultyModel | None = None
_lock = threading.Lock()


def _read_artifact(path: Path) -> dict[str, Any]:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return json.loads(raw)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@dataclass(frozen=True, slots=True)
class Estimate:
    """What the classifier says about one request: its difficulty and how sure it is (the slope)."""

    difficulty: float
    slope: float = 1.0
    unfamiliar: float = 0.0  # share of the request's n-grams never seen in training

    def p_success(self, strength: float) -> float:
        """P(a deployment of `strength` answers this request as well as needed)."""
        return _sigmoid(self.slope * (strength - self.difficulty))


@dataclass(frozen=True)
class Reading:
    """One read of a request by the classifier: the n-grams and dense features of its text, and the estimate made
    from them. Built once per request (`DifficultyModel.read`) and shared by what needs it: the routing decision,
    the complexity gate, a cascade's start tier and the learner's features (learning/features.py)."""

    unigrams: set[str]
    bigrams: set[tuple[str, str]]
    dense: list[float]
    estimate: Estimate


class DifficultyModel:
    """Linear regressor over n-gram and dense features, trained on IRT difficulties, with a slope that
    falls as the request's share of never-seen n-grams rises."""

    __slots__ = (
        "_bi",
        "_c_known",
        "_c_unfamiliar",
        "_dense_mean",
        "_dense_scale",
        "_dense_w",
        "_hi",
        "_lo",
        "_uni",
        "a",
        "bias",
        "empty_difficulty",
        "meta",
        "strengths",
        "version",
    )

    def __init__(self, artifact: dict[str, Any]):
        if artifact.get("format") != FORMAT:
            raise ValueError(f"unknown difficulty artifact format: {artifact.get('format')!r}")
        if list(artifact["dense_names"]) != list(DENSE_NAMES):
            raise ValueError("difficulty artifact was trained with other dense features")
        self.version: str = artifact["version"]
        self.a: float = float(artifact["a"])
        self.bias: float = float(artifact["bias"])
        self._uni: dict[str, float] = {k: float(v) for k, v in artifact["unigrams"].items()}
        self._bi: dict[tuple[str, str], float] = {
            tuple(k.split(" ", 1)): float(v)
            for k, v in artifact["bigrams"].items()  # type: ignore[misc]
        }
        self._dense_w = [float(w) for w in artifact["dense_weights"]]
        self._dense_mean = [float(m) for m in artifact["dense_mean"]]
        self._dense_scale = [float(s) for s in artifact["dense_scale"]]
        self._lo, self._hi = (float(x) for x in artifact["clamp"])
        self.empty_difficulty: float = float(artifact["empty_difficulty"])
        self._c_known = float(artifact["slope"]["known"])
        self._c_unfamiliar = float(artifact["slope"]["unfamiliar"])
        self.strengths: dict[str, float] = {k: float(v) for k, v in artifact.get("strengths", {}).items()}
        self.meta: dict[str, Any] = {k: v for k, v in artifact.items() if k not in ("unigrams", "bigrams", "heldout")}

    @classmethod
    def load(cls, path: str | Path | None = None) -> DifficultyModel:
        """The model in `path`, or the artifact shipped in the package (read once, then shared). The environment
        variable `ARTIFACT_ENV` names another artifact to use instead of the shipped one (benchmarks replaying
        traffic the prior never saw: scripts/train_router.py retrained without it)."""
        global _default
        if path is not None:
            return cls(_read_artifact(Path(path)))
        if _default is None:
            with _lock:
                if _default is None:
                    _default = cls(_read_artifact(Path(os.environ.get(ARTIFACT_ENV) or ARTIFACT_PATH)))
        return _default

    def estimate(self, text: str) -> Estimate:
        """Difficulty and slope of `text` (higher difficulty = a stronger model is needed)."""
        if not text:
            return Estimate(self.empty_difficulty, self.slope(1.0), 1.0)
        return self.estimate_extracted(*extract(text))

    def estimate_extracted(self, uni: set[str], bi: set[tuple[str, str]], dense: list[float]) -> Estimate:
        """`estimate` of a text already read by `features.extract` (callers that also use the n-grams)."""
        n = len(uni) + len(bi)
        s = self.bias
        unfamiliar = 1.0
        if n:
            w = [v for v in map(self._uni.get, uni) if v is not None]
            wb = [v for v in map(self._bi.get, bi) if v is not None]
            s += (sum(w) + sum(wb)) / math.sqrt(n)
            unfamiliar = 1.0 - (len(w) + len(wb)) / n
        for w_, x, m, sc in zip(self._dense_w, dense, self._dense_mean, self._dense_scale):
            s += w_ * (x - m) / sc
        return Estimate(min(self._hi, max(self._lo, s)), self.slope(unfamiliar), unfamiliar)

    def standardized(self, dense: list[float]) -> list[float]:
        """Dense features (`features.DENSE_NAMES` order) on the training data's scale: mean 0, standard deviation 1."""
        return [(x - m) / sc for x, m, sc in zip(dense, self._dense_mean, self._dense_scale)]

    def slope(self, unfamiliar: float) -> float:
        """The success curve's slope for a request with this share of never-seen n-grams."""
        return self.a / math.sqrt(1.0 + self._c_known + self._c_unfamiliar * unfamiliar)

    def difficulty(self, text: str) -> float:
        """Predicted difficulty of `text` (higher = a stronger model is needed)."""
        return self.estimate(text).difficulty

    def read(self, messages: Any) -> Reading | None:
        """The classifier's read of a chat request (its current ask in context, see `request_text`); None when it
        has no text to classify (e.g. only an image)."""
        text = request_text(messages)
        if not text.strip():
            return None
        uni, bi, dense = extract(text)
        return Reading(uni, bi, dense, self.estimate_extracted(uni, bi, dense))

    def estimate_of(self, messages: Any) -> Estimate | None:
        """Estimate for a chat request (`read`'s); None when it has no text to classify."""
        reading = self.read(messages)
        return None if reading is None else reading.estimate

    def difficulty_of(self, messages: Any) -> float | None:
        estimate = self.estimate_of(messages)
        return None if estimate is None else estimate.difficulty

    def p_success(self, difficulty: float, strength: float, slope: float = 1.0) -> float:
        """P(a model of `strength` answers a prompt of `difficulty` as well as needed)."""
        return _sigmoid(self.a * slope * (strength - difficulty))
