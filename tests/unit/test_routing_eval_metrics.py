"""The routing benchmark's curve metrics (benchmarks/routing/generalisation.py): APGR and strong-share at 95%
with item weights must equal the plain metrics of the sample the weights stand for."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]

from benchmarks.routing import generalisation as gen


def plain(scores: list[float], gains: list[float]) -> tuple[float, float]:
    """APGR and strong-share at 95% by definition: items in score order, tied blocks taken in expectation,
    trapezoids over the share of requests sent to the strong model."""
    n = len(scores)
    order = sorted(range(n), key=lambda i: -scores[i])
    cum = [0.0]
    i = 0
    while i < n:
        j = i
        while j + 1 < n and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        block = [gains[order[k]] for k in range(i, j + 1)]
        for _ in block:
            cum.append(cum[-1] + sum(block) / len(block))
        i = j + 1
    total = cum[-1]
    apgr = sum((cum[k] + cum[k + 1]) / 2 for k in range(n)) / (n * total)
    k = next(k for k in range(n + 1) if cum[k] >= 0.95 * total - 1e-12)
    share = k / n if k == 0 else ((k - 1) + (0.95 * total - cum[k - 1]) / (cum[k] - cum[k - 1])) / n
    return apgr, share


def _case(seed: int, n: int):
    rnd = random.Random(seed)
    scores = [float(rnd.randint(0, n // 3)) for _ in range(n)]  # many ties
    gains = [rnd.choice([1.0, 0.5, 0.0, 0.0, -0.25]) for _ in range(n)]
    return scores, gains


@pytest.mark.parametrize("seed", range(5))
def test_unit_weights_give_the_plain_metrics(seed: int) -> None:
    scores, gains = _case(seed, 60)
    if sum(gains) <= 0:
        gains[0] += 1 - sum(gains)
    apgr, share = gen.curve_metrics(scores, gains, np.ones((1, len(scores))))
    want = plain(scores, gains)
    assert apgr[0] == pytest.approx(want[0], abs=1e-12)
    assert share[0] == pytest.approx(want[1], abs=0.02)  # interpolation within a tied block vs per item


@pytest.mark.parametrize("seed", range(5))
def test_bootstrap_weights_equal_the_expanded_sample(seed: int) -> None:
    scores, gains = _case(seed, 40)
    counts = np.random.default_rng(seed).multinomial(40, np.full(40, 1 / 40), size=3).astype(float)
    apgr, _ = gen.curve_metrics(scores, gains, counts)
    for row, value in zip(counts, apgr):
        idx = [i for i, c in enumerate(row) for _ in range(int(c))]
        sub_s, sub_g = [scores[i] for i in idx], [gains[i] for i in idx]
        if sum(sub_g) <= 0:
            assert np.isnan(value)
        else:
            assert value == pytest.approx(plain(sub_s, sub_g)[0], abs=1e-12)


def test_perfect_tied_and_reversed_rankings() -> None:
    gains = [1.0, 0.0, 0.0, 1.0, 0.0]
    ones = np.ones((1, 5))
    best, best_share = gen.curve_metrics(gains, gains, ones)
    worst, worst_share = gen.curve_metrics([-g for g in gains], gains, ones)
    tied, tied_share = gen.curve_metrics([0.0] * 5, gains, ones)
    assert best[0] > tied[0] > worst[0]
    assert tied[0] == pytest.approx(0.5) and tied_share[0] == pytest.approx(0.95)
    assert best_share[0] < tied_share[0] < worst_share[0]
    assert best_share[0] == pytest.approx(0.4 * 0.95 / 1.0 + 0.0, abs=0.2)


def test_family_weights_make_each_family_count_once() -> None:
    # family a: 4 items, gains all on the top-scored one; family b: 1 item with a large gain
    scores = [4.0, 3.0, 2.0, 1.0, 0.0]
    gains = [1.0, 0.0, 0.0, 0.0, 1.0]
    equal = np.array([[0.25, 0.25, 0.25, 0.25, 1.0]])
    apgr, _ = gen.curve_metrics(scores, gains, equal)
    expanded = [4.0] * 1 + [3.0, 2.0, 1.0] + [0.0] * 4, [1.0] + [0.0] * 3 + [1.0] * 4
    assert apgr[0] == pytest.approx(plain(*expanded)[0], abs=0.06)
