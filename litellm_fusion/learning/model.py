"""The online model: per arm (a cascade tier, a routed group's cheaper deployment), a logistic regression that
starts as the shipped prior and moves with the labels.

    P(arm good | request) = sigmoid(a * prior_logit + b + v . dense / sqrt(#dense) + sum(u[bucket]) / sqrt(#buckets))

`prior_logit` is the shipped classifier's view of the same event (learning/priors.py), so a model fitted on no
labels (a = 1, everything else 0) decides exactly as the shipped router does. The fit pulls (a, b) towards
(1, 0) and (v, u) towards 0 with L2 penalties: with few labels the prior dominates, with many the labels do
(the blend "as labels accumulate" is the posterior's, not a schedule).

Fitted by AdaGrad over the stored labels, a fixed number of epochs in a seeded order, warm-started from the
previous model: the same labels give the same model on every replica. Pure Python.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .features import Features

FORMAT = "litellm-fusion-learned/1"
EPOCHS = 6
# L2 penalties, each roughly "how many labels' worth of belief" the starting point (the prior) has
L2_A = 40.0  # on a - 1 (the prior's logit is often several units: its coefficient moves slowly)
L2_B = 10.0  # on b
L2_DENSE = 20.0  # on v
L2_BUCKETS = 10.0  # on u
LEARNING_RATE = 0.3
ADAGRAD_START = 1.0  # initial squared-gradient sum: the first steps are plain gradient steps, not lr * sign
MAX_BUCKETS = 256  # buckets of one request the fit reads (a fixed subset of the larger ones: bounded time)
KEEP = 1e-4  # bucket weights smaller than this are not published


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _subset(buckets: Sequence[int]) -> Sequence[int]:
    """At most MAX_BUCKETS buckets, spread over the sorted ids (a deterministic sample of the n-grams)."""
    n = len(buckets)
    if n <= MAX_BUCKETS:
        return buckets
    step = n / MAX_BUCKETS
    return [buckets[int(i * step)] for i in range(MAX_BUCKETS)]


@dataclass(frozen=True)
class Example:
    features: Features
    y: float  # 1: the arm's answer was good, 0: it was not
    offset: float  # the prior's logit for this arm on this request


@dataclass
class ArmModel:
    a: float = 1.0
    b: float = 0.0
    dense: list[float] = field(default_factory=list)
    buckets: dict[int, float] = field(default_factory=dict)
    n: int = 0  # labels it was fitted on
    positives: int = 0

    def logit(self, f: Features, offset: float) -> float:
        dense = sum(w * x for w, x in zip(self.dense, f.dense))
        z = self.a * offset + self.b + (dense / math.sqrt(len(f.dense)) if f.dense else 0.0)
        hs = _subset(f.buckets)
        if hs and self.buckets:
            get = self.buckets.get
            z += sum(get(h, 0.0) for h in hs) / math.sqrt(len(hs))
        return z

    def predict(self, f: Features, offset: float) -> float:
        return _sigmoid(self.logit(f, offset))

    def encode(self) -> dict[str, Any]:
        kept = {str(h): round(w, 5) for h, w in sorted(self.buckets.items()) if abs(w) >= KEEP}
        return {
            "a": round(self.a, 6),
            "b": round(self.b, 6),
            "dense": [round(w, 6) for w in self.dense],
            "buckets": kept,
            "n": self.n,
            "positives": self.positives,
        }

    @classmethod
    def decode(cls, raw: dict[str, Any]) -> ArmModel:
        return cls(
            float(raw["a"]),
            float(raw["b"]),
            [float(w) for w in raw["dense"]],
            {int(h): float(w) for h, w in raw["buckets"].items()},
            int(raw["n"]),
            int(raw["positives"]),
        )


def fit_arm(examples: Sequence[Example], previous: ArmModel | None = None, seed: int = 0) -> ArmModel:
    """Penalised logistic regression on `examples` (warm-started from `previous`)."""
    if not examples:
        return ArmModel()
    dims = len(examples[0].features.dense)
    start = previous if previous is not None and len(previous.dense) == dims else ArmModel(dense=[0.0] * dims)
    a, b = start.a, start.b
    v = list(start.dense) or [0.0] * dims
    u = dict(start.buckets)
    g0 = ADAGRAD_START
    ga, gb, gv, gu = g0, g0, [g0] * dims, {}
    n = len(examples)
    dense_scale = 1.0 / math.sqrt(dims) if dims else 0.0
    rows = [
        ([x * dense_scale for x in ex.features.dense], _subset(ex.features.buckets), ex.offset, ex.y) for ex in examples
    ]
    order = list(range(n))
    rng = random.Random(seed)
    lr = LEARNING_RATE
    for _ in range(EPOCHS):
        rng.shuffle(order)
        for i in order:
            x, hs, o, y = rows[i]
            scale = 1.0 / math.sqrt(len(hs)) if hs else 0.0
            get = u.get
            z = a * o + b + sum(w * xi for w, xi in zip(v, x)) + scale * sum(get(h, 0.0) for h in hs)
            g = _sigmoid(z) - y
            step = g * o + L2_A * (a - 1.0) / n
            ga += step * step
            a -= lr * step / math.sqrt(ga)
            step = g + L2_B * b / n
            gb += step * step
            b -= lr * step / math.sqrt(gb)
            for j, xj in enumerate(x):
                step = g * xj + L2_DENSE * v[j] / n
                gv[j] += step * step
                v[j] -= lr * step / math.sqrt(gv[j])
            gs = g * scale
            for h in hs:
                w = get(h, 0.0)
                step = gs + L2_BUCKETS * w / n
                acc = gu.get(h, g0) + step * step
                gu[h] = acc
                u[h] = w - lr * step / math.sqrt(acc)
    return ArmModel(a, b, v, u, n, int(sum(ex.y for ex in examples)))


@dataclass
class LearnedModel:
    """Every arm's model of one cascade or routed group, as published in Redis."""

    scope: str
    version: int
    labels: int  # labels the fit read (all arms)
    trained_at: float
    arms: dict[str, ArmModel]
    prior: str  # the shipped classifier's version the offsets came from
    observed: int = 0  # labels the scope had observed when it was fitted (the next refit is due from it)

    def encode(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "scope": self.scope,
                "version": self.version,
                "labels": self.labels,
                "trained_at": round(self.trained_at, 3),
                "prior": self.prior,
                "observed": self.observed,
                "arms": {arm: m.encode() for arm, m in sorted(self.arms.items())},
            },
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, raw: str | bytes) -> LearnedModel:
        """Raises ValueError on anything that is not a model of this format."""
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError("not a learned model")
            return cls(
                str(data["scope"]),
                int(data["version"]),
                int(data["labels"]),
                float(data["trained_at"]),
                {str(arm): ArmModel.decode(m) for arm, m in data["arms"].items()},
                str(data.get("prior", "")),
                int(data.get("observed", 0)),
            )
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a learned model: {exc}") from None
