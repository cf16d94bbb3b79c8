"""The routing benchmark's bootstrap APGR must equal the plain APGR it resamples (benchmarks/routing_eval.py)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "scripts"))

import routing_eval as ev  # noqa: E402


def _case(seed: int, n: int):
    rnd = random.Random(seed)
    scores = [float(rnd.randint(0, n // 3)) for _ in range(n)]  # many ties
    strong = [rnd.choice([0.0, 1.0, 1.0, 0.5]) for _ in range(n)]
    weak = [rnd.choice([0.0, 0.0, 1.0, 0.25]) for _ in range(n)]
    return scores, strong, weak


@pytest.mark.parametrize("seed", range(5))
def test_resampled_apgr_with_unit_counts_is_pair_metrics(seed: int) -> None:
    scores, strong, weak = _case(seed, 60)
    gains = [s - w for s, w in zip(strong, weak)]
    want = ev.pair_metrics(scores, strong, weak)["apgr"]
    got = ev.apgr_resampled(scores, gains, np.ones((1, len(scores))))[0]
    assert got == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_resampled_apgr_equals_apgr_of_the_expanded_sample(seed: int) -> None:
    scores, strong, weak = _case(seed, 40)
    gains = [s - w for s, w in zip(strong, weak)]
    counts = np.random.default_rng(seed).multinomial(40, np.full(40, 1 / 40), size=3).astype(float)
    got = ev.apgr_resampled(scores, gains, counts)
    for row, value in zip(counts, got):
        idx = [i for i, c in enumerate(row) for _ in range(int(c))]
        exp = [scores[i] for i in idx], [strong[i] for i in idx], [weak[i] for i in idx]
        if sum(exp[1]) - sum(exp[2]) <= 0:
            assert np.isnan(value)
        else:
            assert value == pytest.approx(ev.pair_metrics(*exp)["apgr"], abs=1e-12)


def test_perfect_and_reversed_rankings() -> None:
    gains = [1.0, 0.0, 0.0, 1.0, 0.0]
    strong, weak = gains, [0.0] * 5
    ones = np.ones((1, 5))
    best = ev.apgr_resampled(gains, gains, ones)[0]
    worst = ev.apgr_resampled([-g for g in gains], gains, ones)[0]
    tied = ev.apgr_resampled([0.0] * 5, gains, ones)[0]
    assert best > tied > worst
    assert tied == pytest.approx(0.5)
    assert best == pytest.approx(ev.pair_metrics(gains, strong, weak)["apgr"])
