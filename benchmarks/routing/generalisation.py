"""Can the router tell which prompts need the strong model, on task families it has never seen?

    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python -m benchmarks routing generalisation   # ~5 min, 2 cores

Every task family of ../shared/data (scripts/router_data.py: 17 families over 5 sources) is scored three ways:
- **leave-one-family-out (LOFO)**: the text model is refitted without the family (and without any training
  item that duplicates one of its questions) and scores *every* item of it, train and test split alike;
- **mixed workload, LOFO**: all families' LOFO scores ranked together, as a proxy sees a mix of requests,
  each family weighted equally (so cmmlu's 5,000 questions count as much as gpqa's 450);
- **mixed workload, shipped model**: the shipped artifact on the test / held-out items of every family.

A strong/weak pair per source (PAIRS; the deployments of a routed group): an item's gain is the strong
model's score minus the weak one's. Routers rank items by how much the strong model is expected to add:
- ours: p_success(strong) - p_success(weak) under the classifier's estimate (for two deployments the
  product's price-weighted choice is a threshold on exactly this), strengths from the IRT fit on all
  training items (as an operator gives them: `model_info.strength` or the built-in table);
- prompt length; LiteLLM's `complexity_router` heuristic (`ComplexityRouter.classify` score) and
  `heuristic_v2` (sum over tiers of 1 - P(success)); random (all tied, taken in expectation);
- family oracle (mixed workload only): each item scored by its family's true mean gain on the scored
  items: it knows the family and the answer for it, so it is a ceiling for family-level routing, not a
  baseline a router can be.
Metrics: APGR (area under the performance-gap-recovered curve, RouteLLM; random = 0.5) and strong-share
at 95% quality (the share of requests sent to the strong model to recover 95% of its gain over the weak
one, RouteLLM's CPT(95%); lower is better), with paired bootstrap 95% intervals of ours minus each baseline
(1000 resamples of the items, within each family; ours and the baseline scored on the same resample).
Strengths are the full training fit's; the slope constants are the shipped artifact's.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
from scripts import router_data as rd
from scripts import train_router as tr

from ..harness.paths import DATA
from .evaluation import make_litellm_classifiers

PAIRS = {
    "routerbench": ("gpt-4-1106-preview", "mistralai/mixtral-8x7b-chat"),
    "routerdc": ("cognitivecomputations/dolphin-2.9-llama3-8b", "itpossible/Chinese-Mistral-7B-v0.1"),
    "llmrouter": ("llama-3.1-nemotron-51b-instruct", "llama-3.1-8b-instruct"),
    "mmlu_pro": ("gpt4o", "Meta-Llama-3_1-8B-Instruct"),
    "alpaca": ("FuseChat-Gemma-2-9B-Instruct", "gpt-3.5-turbo-1106"),
}
BASELINES = ["length", "heuristic", "heuristic_v2", "random"]
MIN_GAP = 0.03  # a family whose strong model is not this much better has no gap to recover: n/a
BOOT = 1000
SEED = 7


def has_pair(it: rd.Item) -> bool:
    strong, weak = PAIRS[it.source]
    return strong in it.scores and weak in it.scores


def gain(it: rd.Item) -> float:
    strong, weak = PAIRS[it.source]
    return it.scores[strong] - it.scores[weak]


def curve_metrics(scores, gains, weights):
    """APGR and strong-share at 95% for each row of `weights` (B x n item weights; ties in expectation)."""
    import numpy as np

    scores = np.asarray(scores, dtype=float)
    order = np.argsort(-scores, kind="stable")
    s = scores[order]
    g = np.asarray(gains, dtype=float)[order]
    W = weights[:, order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    m = np.add.reduceat(W, starts, axis=1)
    gb = np.add.reduceat(W * g, starts, axis=1)
    g_after = np.cumsum(gb, axis=1)
    g_before = g_after - gb
    w_before = np.cumsum(m, axis=1) - m
    total_w, total_g = m.sum(axis=1), gb.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        apgr = (m * (g_before + gb / 2)).sum(axis=1) / (total_w * total_g)
        target = 0.95 * total_g[:, None]
        hit = g_after >= target
        k = np.where(hit.any(axis=1), hit.argmax(axis=1), m.shape[1] - 1)
        rows = np.arange(len(k))
        frac = np.clip((target[:, 0] - g_before[rows, k]) / gb[rows, k], 0.0, 1.0)
        share = (w_before[rows, k] + frac * m[rows, k]) / total_w
    bad = total_g <= 0
    apgr[bad] = np.nan
    share[bad] = np.nan
    return apgr, share


def resample_weights(strata, base_w, rng, boot: int):
    """Row 0: the items as they are; rows 1..boot: bootstrap multiplicities drawn within each stratum."""
    import numpy as np

    n = len(base_w)
    W = np.empty((boot + 1, n))
    W[0] = base_w
    for g in np.unique(strata):
        idx = np.flatnonzero(strata == g)
        counts = rng.multinomial(len(idx), np.full(len(idx), 1.0 / len(idx)), size=boot)
        W[1:, idx] = counts * base_w[idx]
    return W


def compare(routers: dict[str, list[float]], gains, strata, base_w, rng, boot: int = BOOT) -> dict:
    """Point APGR / strong-share of every router; 95% intervals of ours minus each other router."""
    import numpy as np

    W = resample_weights(np.asarray(strata), np.asarray(base_w, dtype=float), rng, boot)
    res = {k: curve_metrics(v, gains, W) for k, v in routers.items()}
    out: dict = {"point": {k: (float(a[0]), float(c[0])) for k, (a, c) in res.items()}, "ci": {}}
    for k in routers:
        if k == "ours":
            continue
        da = res["ours"][0][1:] - res[k][0][1:]
        dc = res["ours"][1][1:] - res[k][1][1:]
        out["ci"][k] = (tuple(np.nanpercentile(da, [2.5, 97.5])), tuple(np.nanpercentile(dc, [2.5, 97.5])))
    ra = res["ours"][0][1:]
    out["ours_ci"] = tuple(np.nanpercentile(ra, [2.5, 97.5]))
    return out


def lofo_estimates(items, train, strengths, y, slope_of, bar=None):
    """(difficulty, slope) of every item of each family from a ridge fitted without that family."""
    import numpy as np

    feats = [tr.featurize(it.text) for it in items]
    tpos = {id(it): n for n, it in enumerate(items)}
    train_rows = np.array([tpos[id(it)] for it in train])
    X, terms, _, _ = tr.design(feats, train_rows)
    V = len(terms)
    B = (X[:, :V] > 0).astype(np.float64)
    n_grams = np.array([max(1, len(g)) for g, _ in feats], dtype=float)
    d = np.zeros(len(items))
    slope = np.zeros(len(items))
    fams = sorted({it.family for it in items})
    for f in fams:
        held = [it for it in items if it.family == f]
        dup = rd.overlapping([it for it in train if it.family != f], held)
        fit_items = [it for it in train if it.family != f and id(it) not in dup]
        fit = np.array([tpos[id(it)] for it in fit_items])
        yf = np.array([y[id(it)] for it in fit_items])
        rows = np.array([tpos[id(it)] for it in held])
        w = tr.family_weights(items, fit)
        d[rows] = tr.ridge(X[fit], yf, w).predict(X[rows])
        slope[rows] = [slope_of(u) for u in tr.unfamiliarity(B, n_grams, rows, fit)]
        if bar is not None:
            bar.set_postfix_str(f)
            bar.update()
    return d, slope


def sig(x):
    import numpy as np

    return 1.0 / (1.0 + np.exp(-x))


def gap_scores(its, d, slope, strengths):
    import numpy as np

    s1 = np.array([strengths[tr.canonical(it.source, PAIRS[it.source][0])] for it in its])
    s2 = np.array([strengths[tr.canonical(it.source, PAIRS[it.source][1])] for it in its])
    return sig(slope * (s1 - d)) - sig(slope * (s2 - d))


def fmt_ci(ci) -> str:
    lo, hi = ci
    return f"[{lo:+.3f}, {hi:+.3f}]"


def family_table(title, rows_by_fam, base_scores, rng) -> list[dict]:
    """One row per family: APGR / strong-share of every router, intervals of ours vs random and length."""
    import numpy as np

    print(f"\n### {title}\n")
    print(
        "| family | n | sources | strong - weak | ours APGR [95% CI] | length | heuristic | heuristic_v2 | "
        "ours - length [95% CI] | ours - random [95% CI] | strong-share @95%: ours / length / heuristic / heuristic_v2 / random |"
    )
    print("|" + "---|" * 11)
    out = []
    for f, (its, ours) in sorted(rows_by_fam.items()):
        g = np.array([gain(it) for it in its])
        srcs = ",".join(sorted({it.source for it in its}))
        if g.mean() < MIN_GAP:
            print(
                f"| {f} | {len(its)} | {srcs} | {g.mean():+.3f} | n/a: the strong model gains < {MIN_GAP} here | | | | | | |"
            )
            continue
        routers = {"ours": list(ours)} | {b: [base_scores[b][id(it)] for it in its] for b in BASELINES}
        r = compare(routers, g, [it.source for it in its], np.ones(len(its)), rng)
        pt = r["point"]
        share = " / ".join(f"{pt[k][1]:.0%}" for k in ["ours"] + BASELINES)
        print(
            f"| {f} | {len(its)} | {srcs} | {g.mean():+.3f} | {pt['ours'][0]:.3f} {fmt_ci(r['ours_ci'])} | "
            + " | ".join(f"{pt[b][0]:.3f}" for b in ["length", "heuristic", "heuristic_v2"])
            + f" | {pt['ours'][0] - pt['length'][0]:+.3f} {fmt_ci(r['ci']['length'][0])} | "
            f"{pt['ours'][0] - 0.5:+.3f} {fmt_ci(r['ci']['random'][0])} | {share} |"
        )
        out.append({"family": f, **r})
    below = [r["family"] for r in out if r["ci"]["random"][0][1] < 0]
    ahead_len = [r["family"] for r in out if r["point"]["ours"][0] > r["point"]["length"][0]]
    sig_len = [r["family"] for r in out if r["ci"]["length"][0][0] > 0]
    best_base = [r["family"] for r in out if all(r["point"]["ours"][0] > r["point"][b][0] for b in BASELINES)]
    print(
        f"\nfamilies with a gap: {len(out)}; ours significantly below random on {len(below)}"
        + (f" ({', '.join(below)})" if below else "")
        + f"; ahead of prompt length on {len(ahead_len)}/{len(out)} ({len(ahead_len) / max(1, len(out)):.0%}; "
        f"significantly on {len(sig_len)}); ahead of every baseline on {len(best_base)}/{len(out)}; "
        f"mean APGR ours {np.mean([r['point']['ours'][0] for r in out]):.3f}, length "
        f"{np.mean([r['point']['length'][0] for r in out]):.3f}"
    )
    return out


def pooled_table(title, its, ours, base_scores, rng) -> None:
    import numpy as np

    fam_n = defaultdict(int)
    for it in its:
        fam_n[it.family] += 1
    g = np.array([gain(it) for it in its])
    w = np.array([1.0 / fam_n[it.family] for it in its])
    fam_gain = defaultdict(float)
    for it, gi, wi in zip(its, g, w):
        fam_gain[it.family] += gi * wi
    routers = {"ours": list(ours)} | {b: [base_scores[b][id(it)] for it in its] for b in BASELINES}
    routers["family oracle"] = [fam_gain[it.family] for it in its]
    r = compare(routers, g, [it.family for it in its], w, rng)
    pt = r["point"]
    print(f"\n### {title}\n")
    print(
        f"{len(its)} items, {len(fam_n)} families weighted equally; mean gain of the strong model "
        f"{float((g * w).sum() / w.sum()):+.3f}\n"
    )
    print("| router | APGR | strong-share @95% | ours - it, APGR [95% CI] | ours - it, strong-share [95% CI] |")
    print("|---|---|---|---|---|")
    print(f"| **ours** | **{pt['ours'][0]:.3f}** {fmt_ci(r['ours_ci'])} | **{pt['ours'][1]:.0%}** | | |")
    for k in BASELINES + ["family oracle"]:
        (lo, hi), (clo, chi) = r["ci"][k]
        print(
            f"| {k} | {pt[k][0]:.3f} | {pt[k][1]:.0%} | {pt['ours'][0] - pt[k][0]:+.3f} [{lo:+.3f}, {hi:+.3f}] | "
            f"{pt['ours'][1] - pt[k][1]:+.1%} [{clo:+.1%}, {chi:+.1%}] |"
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(DATA))
    args = ap.parse_args(argv)

    import numpy as np
    from tqdm import tqdm

    from litellm_fusion.routing.difficulty_model import ARTIFACT_PATH, DifficultyModel, _read_artifact
    from litellm_fusion.routing.text import request_text

    t0 = time.time()
    artifact = _read_artifact(ARTIFACT_PATH)
    shipped = DifficultyModel(artifact)
    items, _ = rd.decontaminate(rd.load_all(Path(args.data)))
    items = [it for it in items if has_pair(it)]
    train = [it for it in items if it.split == "train"]
    fams = sorted({it.family for it in items})
    bar = tqdm(total=len(fams) + 3, desc="routing_generalisation", file=sys.stderr)
    strengths, y_arr, _ = tr.fit_irt(train)
    y = {id(it): v for it, v in zip(train, y_arr)}
    train = [it for it in train if it.task not in tr.TEXT_MODEL_EXCLUDE]
    bar.set_postfix_str("irt")
    bar.update()

    _, heuristic, heuristic_v2 = make_litellm_classifiers()
    base = {"length": {}, "heuristic": {}, "heuristic_v2": {}, "random": {}}
    for it in items:
        base["length"][id(it)] = float(len(it.text))
        base["heuristic"][id(it)] = heuristic(it.text)
        base["heuristic_v2"][id(it)] = heuristic_v2(it.text)
        base["random"][id(it)] = 0.0
    bar.set_postfix_str("baselines")
    bar.update()

    d, slope = lofo_estimates(items, train, strengths, y, shipped.slope, bar)
    ours_lofo = gap_scores(items, d, slope, strengths)
    rng = np.random.default_rng(SEED)
    print(
        f"model {shipped.version}; {len(items)} items with both models of their source's pair; "
        f"pairs: " + "; ".join(f"{s}: {a} vs {b}" for s, (a, b) in PAIRS.items())
    )
    by_fam = {
        f: ([it for it in items if it.family == f], [o for it, o in zip(items, ours_lofo) if it.family == f])
        for f in fams
    }
    family_table(
        "Leave one family out: every item of each family, scored by a model that never saw the family",
        by_fam,
        base,
        rng,
    )
    pooled_table("Mixed workload, leave-one-family-out scores (every family unseen)", items, ours_lofo, base, rng)

    test = [it for it in items if it.split == "test"]
    est = [shipped.estimate(request_text([{"role": "user", "content": it.text}])) for it in test]
    ours_test = gap_scores(
        test,
        np.array([e.difficulty for e in est]),
        np.array([e.slope for e in est]),
        {**strengths, **shipped.strengths},
    )
    bar.set_postfix_str("test split")
    bar.update()
    pooled_table(
        "Mixed workload, shipped model on the test / held-out items (families known, items unseen)",
        test,
        ours_test,
        base,
        rng,
    )
    family_table(
        "Shipped model, test / held-out items by family",
        {
            f: ([it for it in test if it.family == f], [o for it, o in zip(test, ours_test) if it.family == f])
            for f in sorted({it.family for it in test})
        },
        base,
        rng,
    )
    bar.close()
    print(f"\ntook {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
