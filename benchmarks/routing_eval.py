#!/usr/bin/env python
"""Offline evaluation of the complexity-routing difficulty classifier against LiteLLM's heuristics.

    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python benchmarks/routing_eval.py [--data ../shared/data]

Scores only test / held-out items (the split of scripts/train_router.py; the artifact's `heldout` manifest
is checked). For each split:
- strong/weak pairs: RouteLLM's APGR (area under PGR vs share of strong calls, ties broken in expectation)
  and CPT(50%), CPT(95%) (smallest share of strong calls reaching that PGR);
- RouterBench's 11-model pool: quality vs real dollar cost; cost to match the best single model.
Routers: ours (IRT: p_success from difficulty and strengths, the strategy's price-weighted choice), LiteLLM complexity_router `heuristic`
(score of classify()) and `heuristic_v2` (sum over tiers of 1 - P(success)), prompt length, random,
always-cheapest, always-strongest. Writes benchmarks/routing_quality_cost.png and prints markdown tables.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import train_router as tr  # noqa: E402

from litellm_fusion.config.routing import MODE_PRICE_WEIGHT  # noqa: E402
from litellm_fusion.routing.model import ARTIFACT_PATH, DifficultyModel, _read_artifact  # noqa: E402
from litellm_fusion.routing.strategy import DeploymentProfile, choose  # noqa: E402
from litellm_fusion.routing.text import request_text  # noqa: E402

SEED = 7
RB_PAIRS = [("gpt-4-1106-preview", "mistralai/mixtral-8x7b-chat"), ("gpt-4-1106-preview", "gpt-3.5-turbo-1106")]
ALPACA_PAIRS = [("gpt4_1106_preview", "gpt-3.5-turbo-1106"), ("FuseChat-Gemma-2-9B-Instruct", "gpt-3.5-turbo-1106")]
BASELINES = ["heuristic", "heuristic_v2", "length", "random"]
PRICE_WEIGHTS = [0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0, 10.0]
CURVE_WEIGHTS = sorted(set(PRICE_WEIGHTS) | {0.002 * 10 ** (k / 15) for k in range(61)})  # 0.002 .. 20
TOLERANCES = [0.0, 0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.125, 0.15, 0.2, 0.3, 0.5]  # random = expected value (all scores tied)


# ---------------------------------------------------------------- routers
def make_litellm_classifiers():
    import litellm
    from litellm.router_strategy.complexity_router.complexity_router import ComplexityRouter

    router = litellm.Router(model_list=[{"model_name": "m", "litellm_params": {"model": "openai/gpt-4o-mini",
                                                                               "api_key": "x"}}])
    tiers = {"SIMPLE": "m", "MEDIUM": "m", "COMPLEX": "m", "REASONING": "m"}
    v1 = ComplexityRouter(model_name="cr", litellm_router_instance=router, complexity_router_config={"tiers": tiers})
    v2 = ComplexityRouter(model_name="cr2", litellm_router_instance=router,
                          complexity_router_config={"classifier_type": "heuristic_v2", "tiers": tiers})

    def heuristic(text: str) -> float:
        return float(v1.classify(text)[1])

    def heuristic_v2(text: str) -> float:
        probs = v2._classify_with_heuristic_v2(text).heuristic_v2_forecast["probabilities"]
        return float(sum(1.0 - p for p in probs.values()))

    return v1, heuristic, heuristic_v2


def strength_of(model: DifficultyModel, source: str, name: str) -> float:
    return model.strengths[tr.canonical(source, name)]


# ---------------------------------------------------------------- metrics
def gain_curve(scores: list[float], gains: list[float]) -> list[float]:
    """Cumulative gain of sending the n highest-scored items to the strong model, n = 0..N.
    Items with equal scores are taken in expectation (their mean gain), so ties are not lucky."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    cum = [0.0]
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        block = [gains[order[k]] for k in range(i, j + 1)]
        mean = sum(block) / len(block)
        for _ in block:
            cum.append(cum[-1] + mean)
        i = j + 1
    return cum


def pair_metrics(scores, strong, weak):
    n = len(scores)
    q_s, q_w = sum(strong) / n, sum(weak) / n
    gap = q_s - q_w
    cum = gain_curve(scores, [s - w for s, w in zip(strong, weak)])
    pgr = [(c / n) / gap if gap else 0.0 for c in cum]
    x = [k / n for k in range(n + 1)]
    apgr = sum((pgr[k] + pgr[k + 1]) / 2 * (x[k + 1] - x[k]) for k in range(n))

    def cpt(level):
        for k in range(n + 1):
            if pgr[k] >= level:
                return x[k]
        return 1.0

    return {"apgr": apgr, "cpt50": cpt(0.5), "cpt95": cpt(0.95), "q_strong": q_s, "q_weak": q_w}


MIN_GAP = 0.05  # APGR divides by the quality gap: below this it is noise over noise (and n/a in the tables)
BOOT = 1000  # paired bootstrap resamples per row


def apgr_resampled(scores, gains, counts):
    """APGR of ranking by `scores` (ties in expectation, as `gain_curve`) under each row of `counts`
    (bootstrap multiplicities, B x n). Same numbers as `pair_metrics` for counts of all ones."""
    import numpy as np

    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")
    s = np.asarray(scores, dtype=float)[order]
    g = np.asarray(gains, dtype=float)[order]
    c = counts[:, order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    m = np.add.reduceat(c, starts, axis=1)
    gb = np.add.reduceat(c * g, starts, axis=1)
    g0 = np.cumsum(gb, axis=1) - gb
    n, total = c.sum(axis=1), gb.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (m * (g0 + gb / 2)).sum(axis=1) / (n * total)
    out[total <= 0] = np.nan
    return out


def pair_row(fam, strong, weak, variants, strong_q, weak_q, rng):
    """Point APGR/CPT of every router and, for ours, paired-bootstrap 95% intervals of its margin over
    each baseline (the same resampled items for both routers)."""
    import numpy as np

    res = {k: pair_metrics(v, strong_q, weak_q) for k, v in variants.items()}
    n = len(strong_q)
    gains = [a - b for a, b in zip(strong_q, weak_q)]
    row = {"fam": fam, "strong": strong, "weak": weak, "n": n, "res": res,
           "degenerate": res["ours"]["q_strong"] - res["ours"]["q_weak"] < MIN_GAP}
    if row["degenerate"]:
        return row
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=BOOT).astype(float)
    boot = {k: apgr_resampled(v, gains, counts) for k, v in variants.items()}
    best_b = max(BASELINES, key=lambda b: res[b]["apgr"])
    row["best_baseline"] = best_b
    row["margin"] = res["ours"]["apgr"] - res[best_b]["apgr"]
    row["ci"] = tuple(np.nanpercentile(boot["ours"] - boot[best_b], [2.5, 97.5]))
    diffs = {b: np.nanpercentile(boot["ours"] - boot[b], [2.5, 97.5]) for b in BASELINES}
    row["sig_behind"] = [b for b, (lo, hi) in diffs.items() if hi < 0]
    row["sig_ahead_all"] = all(lo > 0 for lo, _ in diffs.values())
    return row


def print_pair_table(rows, cpt: bool = True) -> None:
    hdr = "| split | strong vs weak | n | q strong / weak | " + " | ".join(
        ["ours", "ours (raw d)"] + BASELINES) + " | margin vs best baseline [95% CI] |"
    print(hdr)
    print("|" + "---|" * (hdr.count("|") - 1))
    live = [r for r in rows if not r["degenerate"]]
    for r in rows:
        res = r["res"]
        cells = [f"{res[k]['apgr']:.3f}" for k in ["ours", "ours (raw difficulty)"] + BASELINES]
        if r["degenerate"]:
            tail = f"n/a: quality gap < {MIN_GAP} on this split"
        else:
            lo, hi = r["ci"]
            tail = f"{r['margin']:+.3f} [{lo:+.3f}, {hi:+.3f}] vs {r['best_baseline']}"
        print(f"| {r['fam']} | {short(r['strong'])} vs {short(r['weak'])} | {r['n']} | "
              f"{res['ours']['q_strong']:.3f} / {res['ours']['q_weak']:.3f} | " + " | ".join(cells) + f" | {tail} |")
    margins = [r["margin"] for r in live]
    behind = [f"{r['fam']} {short(r['strong'])} vs {short(r['weak'])} ({', '.join(r['sig_behind'])})"
              for r in live if r["sig_behind"]]
    print(f"\nrows with a quality gap: {len(live)}; mean APGR margin (ours - best baseline per row): "
          f"{statistics.fmean(margins):+.3f}; ours ahead of every baseline on {sum(m > 0 for m in margins)}/"
          f"{len(live)}; significantly ahead of every baseline (95% paired bootstrap) on "
          f"{sum(r['sig_ahead_all'] for r in live)}/{len(live)}; significantly behind some baseline on "
          f"{len(behind)}/{len(live)}" + (f": {'; '.join(behind)}" if behind else "") + "\n")
    if not cpt:
        return
    print("| split | strong vs weak | CPT(50%) ours | heuristic | heuristic_v2 | length | random | "
          "CPT(95%) ours | heuristic | heuristic_v2 | length | random |")
    print("|" + "---|" * 12)
    for r in live:
        res = r["res"]
        c50 = " | ".join(f"{res[k]['cpt50']:.0%}" for k in ["ours"] + BASELINES)
        c95 = " | ".join(f"{res[k]['cpt95']:.0%}" for k in ["ours"] + BASELINES)
        print(f"| {r['fam']} | {short(r['strong'])} vs {short(r['weak'])} | {c50} | {c95} |")


def short(m):
    return m.split("/")[-1]


def train_means(train) -> dict[str, dict[str, list[float]]]:
    """Scores of each model on each family's training items (to pick a family's strong/weak pair)."""
    out: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for it in train:
        for m, v in it.scores.items():
            out[it.family][m].append(v)
    return out


def choose_pairs(fam, train_means):
    if fam.startswith("rb/"):
        return RB_PAIRS
    if fam == "alpaca":
        return ALPACA_PAIRS
    means = {m: statistics.fmean(v) for m, v in train_means[fam].items()}
    return [(max(means, key=means.get), min(means, key=means.get))]


def pair_rows(its_by_fam, train_means, difficulty, strength, p_success, base_scores, rng):
    """One row per (split, strong/weak pair). difficulty(it) -> ours; strength(it, model) -> its strength
    in the model that scored `it`; p_success(difficulty, strength) -> the model's success probability;
    base_scores[name][id(it)] -> baseline score."""
    rows = []
    for fam in sorted(its_by_fam):
        for strong, weak in choose_pairs(fam, train_means):
            sub = [it for it in its_by_fam[fam] if strong in it.scores and weak in it.scores]
            ours_gap = [p_success(difficulty(it), strength(it, strong)) - p_success(difficulty(it), strength(it, weak))
                        for it in sub]
            variants = {"ours": ours_gap, "ours (raw difficulty)": [difficulty(it) for it in sub]}
            for b in BASELINES:
                variants[b] = [base_scores[b][id(it)] for it in sub]
            rows.append(pair_row(fam, strong, weak, variants, [it.scores[strong] for it in sub],
                                 [it.scores[weak] for it in sub], rng))
    return rows


def crossfit(items, k_folds: int, alpha: float):
    """Out-of-fold difficulties for every item (train and test alike): K folds by hash; for each, the full
    training pipeline (decontamination against the fold, IRT, ridge at `alpha`) runs on the other folds.
    Returns ({id(item): difficulty}, {id(item): strengths of the model that scored it})."""
    import dataclasses
    import hashlib

    from tqdm import tqdm

    d_of: dict[int, float] = {}
    s_of: dict[int, dict[str, float]] = {}
    for k in tqdm(range(k_folds), desc="cross-fit", file=sys.stderr):
        copies, origin = [], {}
        for it in items:
            h = int(hashlib.sha256(f"cf\x00{it.family}\x00{it.key}".encode()).hexdigest()[:8], 16)
            c = dataclasses.replace(it, split="test" if h % k_folds == k else "train")
            origin[id(c)] = id(it)
            copies.append(c)
        kept, dropped = tr.decontaminate(copies)
        train = [c for c in kept if c.split == "train"]
        test = [c for c in kept if c.split == "test"]
        art, _ = tr.train_model(train, test, dropped, alphas=(alpha,))
        dm = DifficultyModel(art)
        for c in test:
            d_of[origin[id(c)]] = dm.difficulty(request_text([{"role": "user", "content": c.text}]))
            s_of[origin[id(c)]] = dm.strengths
    return d_of, s_of


def envelope(points):
    """Upper-left envelope: sorted (cost, quality) where quality strictly improves with cost."""
    out = []
    for c, q in sorted(points):
        if not out or q > out[-1][1] + 1e-12:
            out.append((c, q))
    return out


def cost_to_reach(points, target):
    best = None
    for c, q in points:
        if q >= target - 1e-9 and (best is None or c < best):
            best = c
    return best


def quality_at(points, budget):
    qs = [q for c, q in points if c <= budget + 1e-12]
    return max(qs) if qs else None


# ---------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--plot", default=str(REPO / "benchmarks" / "routing_quality_cost.png"))
    ap.add_argument("--crossfit", type=int, default=5, metavar="K",
                    help="also score every item out-of-fold with K-fold retraining (0: skip)")
    args = ap.parse_args()
    rnd = random.Random(SEED)
    artifact = _read_artifact(ARTIFACT_PATH)
    dm = DifficultyModel(artifact)
    items = tr.load_all(Path(args.data))
    test = [it for it in items if it.split == "test"]
    train = [it for it in items if it.split == "train"]
    for fam in sorted({it.family for it in test}):
        keys = sorted(it.key for it in test if it.family == fam)
        if artifact["heldout"].get(fam) != keys:
            raise SystemExit(f"held-out items of {fam} differ from the artifact's manifest: retrain first")
    print(f"model {dm.version}; scoring {len(test)} test/held-out items (never trained on)\n")

    v1, heuristic, heuristic_v2 = make_litellm_classifiers()
    scorers = {
        "ours": lambda t: dm.difficulty(request_text([{"role": "user", "content": t}])),
        "heuristic": heuristic,
        "heuristic_v2": heuristic_v2,
        "length": lambda t: float(len(t)),
        "random": lambda t: 0.0,  # all tied: the tie handling gives random routing's expected curve
    }
    S: dict[str, dict[int, float]] = defaultdict(dict)
    for name, fn in scorers.items():
        for it in test:
            S[name][id(it)] = fn(it.text)

    by_fam: dict[str, list] = defaultdict(list)
    for it in test:
        by_fam[it.family].append(it)
    means = train_means(train)

    # ------------------------------------------------ pairwise APGR / CPT
    import numpy as np

    print("### Strong/weak pairs on the test splits: APGR (higher is better; random = 0.5) and CPT "
          "(lower is better)\n")
    rows = pair_rows(by_fam, means, lambda it: S["ours"][id(it)],
                     lambda it, m: strength_of(dm, it.source, m), dm.p_success, S, np.random.default_rng(SEED))
    print_pair_table(rows)

    if args.crossfit:
        print(f"### The same pairs, cross-fitted over train + test ({args.crossfit} folds: every item scored by a "
              "model trained without it; ~3x the items, so about half the noise)\n")
        everything = train + test
        for name, fn in scorers.items():
            if name != "ours":
                for it in train:
                    S[name][id(it)] = fn(it.text)
        d_of, s_of = crossfit(everything, args.crossfit, float(dm.meta["training"]["ridge_alpha"]))
        all_by_fam: dict[str, list] = defaultdict(list)
        for it in everything:
            all_by_fam[it.family].append(it)
        cf_rows = pair_rows(all_by_fam, means, lambda it: d_of[id(it)],
                            lambda it, m: s_of[id(it)][tr.canonical(it.source, m)], dm.p_success, S,
                            np.random.default_rng(SEED))
        print_pair_table(cf_rows, cpt=False)

    # ------------------------------------------------ RouterBench 11-model pool: quality vs cost
    rb_train = [it for it in train if it.source == "routerbench"]
    models = sorted({m for it in rb_train for m in it.scores})
    avg_cost = {m: statistics.fmean(it.costs[m] for it in rb_train if m in it.costs) for m in models}
    avg_q = {m: statistics.fmean(it.scores[m] for it in rb_train if m in it.scores) for m in models}
    frontier = [m for m in models if not any(
        avg_cost[o] <= avg_cost[m] and avg_q[o] >= avg_q[m] and (avg_cost[o], avg_q[o]) != (avg_cost[m], avg_q[m])
        for o in models)]
    frontier.sort(key=lambda m: avg_cost[m])
    cheapest = min(models, key=lambda m: avg_cost[m])
    by_cost = sorted(models, key=lambda m: avg_cost[m])
    strength = {m: strength_of(dm, "routerbench", m) for m in models}

    def evaluate(its, pick):
        picks = [pick(it) for it in its]
        return sum(it.costs[m] for it, m in zip(its, picks)), sum(it.scores[m] for it, m in zip(its, picks)) / len(its)

    profiles = [DeploymentProfile(m, m, avg_cost[m], 0.0, strength[m]) for m in models]  # cost = mean train cost

    def ours_points(its, weights=PRICE_WEIGHTS):
        """The product's own policy (routing.strategy.choose) at each price weight."""
        pts = []
        for w in weights:
            def pick(it, w=w):
                return choose(profiles, S["ours"][id(it)], dm.p_success, w, 1, 0).chosen.model
            pts.append((w,) + evaluate(its, pick))
        return pts

    def tolerance_points(its):
        """The rule the price weight replaced: cheapest deployment within `tol` of the best p_success."""
        pts = []
        for tol in TOLERANCES:
            def pick(it, tol=tol):
                p = {m: dm.p_success(S["ours"][id(it)], strength[m]) for m in models}
                best = max(p.values())
                return next(m for m in by_cost if p[m] >= best - tol)
            pts.append((tol,) + evaluate(its, pick))
        return pts

    def threshold_points(its, key):
        """Two-deployment threshold sweep over every frontier pair (cheap, strong): the highest-scored
        x% go to the strong one. The envelope over pairs and x is the baseline's best curve."""
        tb = random.Random(SEED)
        tiebreak = {id(it): tb.random() for it in its}  # ties in the score are broken at random (seeded)
        order = sorted(its, key=lambda it: (-S[key][id(it)], tiebreak[id(it)]))
        pts = []
        if key == "random":  # expected value of random routing: linear mix of the two deployments
            for i, cheap in enumerate(frontier):
                c0, q0 = evaluate(its, lambda it: cheap)
                for strong_m in frontier[i + 1 :]:
                    c1, q1 = evaluate(its, lambda it: strong_m)
                    pts += [(c0 + (c1 - c0) * k / 50, q0 + (q1 - q0) * k / 50) for k in range(51)]
            return pts
        for i, cheap in enumerate(frontier):
            for strong_m in frontier[i + 1 :]:
                for k in range(0, 51):
                    cut = round(len(order) * k / 50)
                    strong_set = {id(it) for it in order[:cut]}
                    pts.append(evaluate(its, lambda it: strong_m if id(it) in strong_set else cheap))
        return pts

    complete = [it for it in test if it.source == "routerbench" and all(m in it.scores and m in it.costs
                                                                         for m in models)]
    rb_splits = {fam: [it for it in complete if it.family == fam] for fam in sorted({it.family for it in complete})}
    rb_splits["rb/all three"] = complete
    print("\n### RouterBench 11-model pool: cost to match the best single model's quality (test splits)\n")
    print(f"Frontier deployments (by RouterBench-train avg cost/quality): {', '.join(short(m) for m in frontier)}\n")
    print("| split | n | best single (quality, $) | ours (price weight) | ours (threshold sweep) | heuristic | "
          "heuristic_v2 | length | random | always-cheapest | ours saves vs best baseline |")
    print("|" + "---|" * 11)
    plot_data = {}
    for name, its in rb_splits.items():
        singles = {m: evaluate(its, lambda it, m=m: m) for m in models}
        best_m = max(singles, key=lambda m: (singles[m][1], -singles[m][0]))
        target = singles[best_m][1]
        dense = ours_points(its, CURVE_WEIGHTS)
        op = [pt for pt in dense if pt[0] in PRICE_WEIGHTS]
        curves = {"ours (price weight)": [(c, q) for _, c, q in dense]}
        for key in ["ours"] + BASELINES:
            curves[("ours (threshold sweep)" if key == "ours" else key)] = threshold_points(its, key)
        costs = {k: cost_to_reach(v, target) for k, v in curves.items()}
        cheap_c, cheap_q = singles[cheapest]

        def fmt(c):
            return "not reached" if c is None else f"${c:.2f} ({c / singles[best_m][0]:.0%})"

        base_best = [costs[b] for b in BASELINES if costs[b] is not None]
        ours_best = min(c for c in (costs["ours (price weight)"], costs["ours (threshold sweep)"]) if c is not None) \
            if any(costs[k] is not None for k in ("ours (price weight)", "ours (threshold sweep)")) else None
        saving = ("n/a" if ours_best is None or not base_best
                  else f"{(min(base_best) - ours_best) / singles[best_m][0]:+.1%} of best-single cost")
        print(f"| {name} | {len(its)} | {short(best_m)} {target:.3f}, ${singles[best_m][0]:.2f} | "
              + " | ".join(fmt(costs[k]) for k in ["ours (price weight)", "ours (threshold sweep)"] + BASELINES)
              + f" | {cheap_q:.3f} at ${cheap_c:.2f} | {saving} |")
        plot_data[name] = (curves, singles, op)

    print("\nMean quality over 25 budgets, log-spaced from the cheapest model's cost to the best single model's "
          "(each router at its best point within the budget; the area under the curves in the plot):\n")
    names = ["ours (price weight)", "ours (threshold sweep)"] + BASELINES
    print("| split | " + " | ".join(names) + " | ours (price weight) - best baseline |")
    print("|" + "---|" * (len(names) + 2))
    for name, (curves, singles, _) in plot_data.items():
        lo = min(c for c, _ in singles.values())
        hi = max(singles.values(), key=lambda cq: (cq[1], -cq[0]))[0]
        budgets = [lo * (hi / lo) ** (k / 24) for k in range(25)]
        mean_q = {k: statistics.fmean(quality_at(curves[k], b) or 0.0 for b in budgets) for k in names}
        best_b = max(mean_q[b] for b in BASELINES)
        print(f"| {name} | " + " | ".join(f"{mean_q[k]:.3f}" for k in names)
              + f" | {mean_q['ours (price weight)'] - best_b:+.3f} |")

    print("\nOurs on all three RouterBench test sets, by price weight (the product's policy: highest p_success "
          "- weight x cost / top cost), and the tolerance rule it replaced (cheapest deployment with p_success >= "
          "max - tol), side by side:\n")
    print("| price weight | quality | cost $ | % of best-single cost | | tolerance (old rule) | quality | cost $ | % |")
    print("|---|---|---|---|---|---|---|---|---|")
    curves, singles, op = plot_data["rb/all three"]
    best_single_cost = max(singles.values(), key=lambda cq: cq[1])[0]
    modes = {v: k.value for k, v in MODE_PRICE_WEIGHT.items()}
    old_rule = tolerance_points(rb_splits["rb/all three"])
    for i in range(max(len(op), len(old_rule))):
        left = right = " | | | "
        if i < len(op):
            w, c, q = op[i]
            label = f"{w:g}" + (f" (**{modes[w]}**)" if w in modes else "")
            left = f"{label} | {q:.3f} | {c:.2f} | {c / best_single_cost:.0%}"
        if i < len(old_rule):
            tol, c, q = old_rule[i]
            right = f"{tol:g} | {q:.3f} | {c:.2f} | {c / best_single_cost:.0%}"
        print(f"| {left} | | {right} |")

    # ------------------------------------------------ plot
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(plot_data), figsize=(5 * len(plot_data), 4.5))
    styles = {"ours (price weight)": ("C3", "-", 2.2), "ours (threshold sweep)": ("C1", "--", 1.6),
              "heuristic": ("C0", "-", 1.2), "heuristic_v2": ("C2", "-", 1.2), "length": ("C4", ":", 1.2),
              "random": ("grey", ":", 1.0)}
    for ax, (name, (curves, singles, _)) in zip(axes, plot_data.items()):
        for k, pts in curves.items():
            env = envelope(pts)
            col, ls, lw = styles[k]
            ax.plot([c for c, _ in env], [q for _, q in env], color=col, ls=ls, lw=lw, label=k)
        for m, (c, q) in singles.items():
            ax.scatter([c], [q], color="black", s=12)
            ax.annotate(short(m)[:14], (c, q), fontsize=6)
        ax.set_xscale("log")
        ax.set_title(f"RouterBench test: {name[3:]}")
        ax.set_xlabel("total cost of the split (USD, log)")
        ax.set_ylabel("quality (mean score)")
    axes[0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(args.plot, dpi=110)
    print(f"\nplot: {os.path.relpath(args.plot, REPO)}")

    # ------------------------------------------------ timing
    prompts = [it.text for it in rnd.sample(test, 1500)]
    long_prompt = build_long_prompt(test)
    print(f"\n### Per-prompt latency, in process ({len(prompts)} test prompts, median length "
          f"{int(statistics.median(len(p) for p in prompts))} chars; long prompt {len(long_prompt)} chars)\n")
    ours_fn = dm.difficulty
    ours_msgs = lambda p: dm.difficulty(request_text([{"role": "user", "content": p}]))  # noqa: E731
    heur_fn = v1.classify
    for fn in (ours_fn, heur_fn):  # warm-up
        for p in prompts[:100]:
            fn(p)
    print("| classifier | p50 µs | p99 µs | long prompt p50 µs | long prompt p99 µs |")
    print("|---|---|---|---|---|")
    for label, fn in [("ours: DifficultyModel.difficulty(text)", ours_fn),
                      ("ours incl. request_text(messages)", ours_msgs),
                      ("LiteLLM heuristic ComplexityRouter.classify()", heur_fn)]:
        t = time_calls(fn, prompts, repeat=3)
        tl = time_calls(fn, [long_prompt], repeat=200)
        print(f"| {label} | {pct(t, 50):.1f} | {pct(t, 99):.1f} | {pct(tl, 50):.1f} | {pct(tl, 99):.1f} |")


def build_long_prompt(test) -> str:
    """~8k tokens (~32k chars) of realistic mixed text and code, ending in a question."""
    parts, n = [], 0
    for it in test:
        if it.source in ("routerdc", "alpaca"):
            parts.append(it.text)
            n += len(it.text)
            if n > 32000:
                break
    return "\n\n".join(parts)[:32000] + "\n\nGiven all of the above, which of these functions is buggy and why?"


def time_calls(fn, prompts, repeat=1):
    out = []
    pc = time.perf_counter_ns
    for _ in range(repeat):
        for p in prompts:
            t0 = pc()
            fn(p)
            out.append((pc() - t0) / 1000.0)
    return out


def pct(xs, q):
    s = sorted(xs)
    return s[min(len(s) - 1, int(math.ceil(q / 100 * len(s))) - 1)]


if __name__ == "__main__":
    main()
