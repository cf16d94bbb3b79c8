"""What the learner reads from a request: hashed n-gram buckets, dense features and the shipped prior's estimate.

The text is the one the routing classifier reads (`routing.text.request_text`: the current ask with a marked
slice of earlier turns), read by the classifier's own pipeline (`routing.features.extract`: the few-shot-focused,
clipped text's unigrams, bigrams and dense features), so learning costs one more pass over n-grams the classifier
already has. Nothing readable is kept:
- every unigram and bigram becomes a bucket number, a CRC-32 of it modulo 2**BITS; the set of buckets is kept
  sorted (word order is gone) and each bucket stands for every n-gram that hashes to it (tens of thousands of
  possible words and phrases each: a bucket does not say which one it was);
- dense features are numbers (length, lines, share of non-ASCII, question marks, math and code marks, few-shot
  size), on the shipped classifier's training scale (clipped to +-DENSE_CLIP standard deviations);
- the prior's estimate is two numbers (difficulty, slope).
"""

from __future__ import annotations

import base64
import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..routing.difficulty_model import DifficultyModel, Estimate, Reading

BITS = 16  # 65,536 buckets: a bucket id fits in two bytes
_MASK = (1 << BITS) - 1
# Standardised dense features are clipped: a feature the prior's training data hardly varied (few-shot size when it
# saw no few-shot prompts) would otherwise read as thousands of standard deviations.
DENSE_CLIP = 4.0
_SEED = zlib.crc32(b"litellm-fusion-learning-v1")  # fixed: replicas and restarts must agree on the buckets


def _bucket(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"), _SEED) & _MASK


@dataclass(frozen=True, slots=True)
class Features:
    """A request as the learner sees it (and as the label store keeps it)."""

    buckets: tuple[int, ...]  # sorted, distinct
    dense: tuple[float, ...]  # standardised dense features (routing.features.DENSE_NAMES order)
    difficulty: float  # the shipped prior's estimate
    slope: float

    @property
    def estimate(self) -> Estimate:
        return Estimate(self.difficulty, self.slope)

    def p_prior(self, strength: float | None) -> float | None:
        """The shipped prior's probability that a model of `strength` answers this request well."""
        return None if strength is None else self.estimate.p_success(strength)

    def encode(self) -> dict[str, Any]:
        """JSON-ready: the buckets as base64 of little-endian uint16, numbers rounded."""
        packed = b"".join(b.to_bytes(2, "little") for b in self.buckets)
        return {
            "h": base64.b64encode(packed).decode("ascii"),
            "x": [round(v, 4) for v in self.dense],
            "d": round(self.difficulty, 4),
            "s": round(self.slope, 4),
        }

    @classmethod
    def decode(cls, raw: dict[str, Any]) -> Features:
        packed = base64.b64decode(raw["h"])
        buckets = tuple(int.from_bytes(packed[i : i + 2], "little") for i in range(0, len(packed), 2))
        return cls(buckets, tuple(float(v) for v in raw["x"]), float(raw["d"]), float(raw["s"]))


def hashed(unigrams: Iterable[str], bigrams: Iterable[tuple[str, str]]) -> tuple[int, ...]:
    buckets = {_bucket("u\x00" + u) for u in unigrams}
    buckets.update(_bucket("b\x00" + a + "\x00" + b) for a, b in bigrams)
    return tuple(sorted(buckets))


def features_of(messages: Sequence[Any] | None, prior: DifficultyModel | None = None) -> Features | None:
    """The learner's view of a chat request; None when it has no text (nothing to learn from)."""
    model = prior or DifficultyModel.load()
    return features_from(model.read(messages or []), model)


def features_from(reading: Reading | None, prior: DifficultyModel) -> Features | None:
    """The learner's view of a request the classifier (`prior`) has read already (None: no text)."""
    if reading is None:
        return None
    dense_std = tuple(min(DENSE_CLIP, max(-DENSE_CLIP, x)) for x in prior.standardized(reading.dense))
    estimate = reading.estimate
    return Features(hashed(reading.unigrams, reading.bigrams), dense_std, estimate.difficulty, estimate.slope)


def logit(p: float, eps: float = 1e-3) -> float:
    p = min(1.0 - eps, max(eps, p))
    return math.log(p / (1.0 - p))
