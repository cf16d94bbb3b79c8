"""Alternatives to the shipped difficulty classifier, compared on TRAINING items only (cross-validated).

    .venv/bin/python -m benchmarks routing ablations [--data ../shared/data]     # ~2 min on 2 cores

Why: the test splits are small (APGR of a random score has a standard deviation of ~0.04 per row), so
choosing between designs by their test rows would be fitting to noise; this compares them out-of-fold on
the training items instead, under two protocols:
- item CV: 5 folds by hash over training items (new prompts of known task families);
- LOFO: leave one task family out (prompts of a family never seen in training: the generalisation the
  product needs).
Every variant is scored like benchmarks/routing/evaluation.py: APGR per strong/weak pair of each family, margin
over the best of LiteLLM `heuristic`, `heuristic_v2`, prompt length and random on the same items.

Variants (IRT fit once on all training items; the regressors are refitted per fold):
- shipped: ridge (the shipped alpha) on IRT difficulty, ranked by the gap rule p(strong) - p(weak) (what the strategy does);
- shipped, raw difficulty: the same ridge, ranked by the difficulty itself (what `classify` prints);
- routing value: ridge on each item's slope of success over model strength (how much a stronger model
  helps), ranked by it;
- pair regressor (RouteLLM-style): one ridge per strong/weak pair on that pair's score difference. Needs
  the two models' own training labels, so it cannot serve deployments of models absent from the data,
  which is what the product routes; shown as a reference point.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
from scripts import train_router as tr

from ..harness.paths import DATA
from . import evaluation as ev


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(DATA))
    args = ap.parse_args(argv)

    import numpy as np

    from litellm_fusion.routing.difficulty_model import DifficultyModel

    shipped = DifficultyModel.load()
    alpha = float(shipped.meta["training"]["ridge_alpha"])  # the shipped ridge's
    items, _ = tr.decontaminate(tr.load_all(Path(args.data)))
    train = [it for it in items if it.split == "train"]  # test / held-out items are never read below
    strengths, d, _, _ = tr.fit_irt(train)
    X, _, _, _, w = tr.design(train)
    fam = np.array([it.family for it in train])
    fam_n = Counter(fam.tolist())
    fold = np.array(
        [int(hashlib.sha256(f"ab\x00{it.family}\x00{it.key}".encode()).hexdigest()[:8], 16) % 5 for it in train]
    )

    # routing value: slope of (soft) success over model strength among the models that scored the item
    rv = np.zeros(len(train))
    for i, it in enumerate(train):
        pts = [
            (strengths[c], min(1.0, max(0.0, y)))
            for m, y in it.scores.items()
            if (c := tr.canonical(it.source, m)) in strengths
        ]
        xs, ys = np.array([p[0] for p in pts]), np.array([p[1] for p in pts])
        if len(xs) > 2 and xs.var() > 0:
            rv[i] = float(np.mean((xs - xs.mean()) * (ys - ys.mean())) / xs.var())

    _, heuristic, heuristic_v2 = ev.make_litellm_classifiers()
    base = {
        "heuristic": [heuristic(it.text) for it in train],
        "heuristic_v2": [heuristic_v2(it.text) for it in train],
        "length": [float(len(it.text)) for it in train],
        "random": [0.0] * len(train),
    }
    train_means = ev.train_means(train)
    rows = []
    for f in sorted(fam_n):
        for strong, weak in ev.choose_pairs(f, train_means):
            idx = [i for i, it in enumerate(train) if it.family == f and strong in it.scores and weak in it.scores]
            rows.append((f, strong, weak, idx))

    def out_of_fold(y, protocol, sel=None):
        return tr.out_of_fold(X, y, w, fam if protocol == "LOFO" else fold, alpha, sel)

    def table(protocol):
        d_hat, rv_hat = out_of_fold(d, protocol), out_of_fold(rv, protocol)
        results: dict[str, list[float]] = defaultdict(list)
        pair_hats: dict[tuple[str, str], np.ndarray] = {}
        for f, strong, weak, idx in rows:
            sq = [train[i].scores[strong] for i in idx]
            wq = [train[i].scores[weak] for i in idx]
            if statistics.fmean(sq) - statistics.fmean(wq) < ev.MIN_GAP:
                continue
            src = train[idx[0]].source
            ss, sw = strengths[tr.canonical(src, strong)], strengths[tr.canonical(src, weak)]
            if (strong, weak) not in pair_hats:  # RouterBench's pairs recur in each of its families
                has = np.array([strong in it.scores and weak in it.scores for it in train])
                gain = np.array(
                    [
                        it.scores[strong] - it.scores[weak] if strong in it.scores and weak in it.scores else 0.0
                        for it in train
                    ]
                )
                pair_hats[strong, weak] = out_of_fold(gain, protocol, sel=has)
            pair_hat = pair_hats[strong, weak]
            variants = {
                "shipped (gap rule)": [shipped.p_success(d_hat[i], ss) - shipped.p_success(d_hat[i], sw) for i in idx],
                "shipped, raw difficulty": [d_hat[i] for i in idx],
                "routing value": [rv_hat[i] for i in idx],
                "pair regressor (known models only)": [pair_hat[i] for i in idx],
            }
            best = max(ev.pair_metrics([base[b][i] for i in idx], sq, wq)["apgr"] for b in base)
            for k, v in variants.items():
                results[k].append(ev.pair_metrics(v, sq, wq)["apgr"] - best)
        return results

    print(
        "APGR margin over the best baseline per row, out-of-fold on training items "
        f"({len(rows)} strong/weak rows minus those without a quality gap)\n"
    )
    print("| variant | protocol | mean margin | rows ahead | worst row |")
    print("|---|---|---|---|---|")
    for protocol in ("item CV", "LOFO"):
        for k, ms in table(protocol).items():
            print(
                f"| {k} | {protocol} | {statistics.fmean(ms):+.3f} | {sum(m > 0 for m in ms)}/{len(ms)} | "
                f"{min(ms):+.3f} |"
            )


if __name__ == "__main__":
    main()
