"""Train the complexity-routing classifier (litellm_fusion/routing/difficulty_model.json.gz).

    .venv/bin/python -m scripts.train_router [--data ../shared/data] [--out PATH]

About 1-2 minutes on 2 cores. Deterministic (fixed seeds, sorted inputs, hash-based splits, a fixed number
of IRT sweeps, weights rounded): a rerun writes a byte-identical artifact.

What it learns, from every data set in ../shared/data (scripts/router_data.py loads, splits and de-duplicates
them; only the *training* items are read here):

1. Item-response theory, P(model m solves prompt q) = sigmoid(strength_m - difficulty_q), on all training
   items of all sources at once. The sources share models (alpaca_eval/RouterBench: gpt-3.5-turbo-1106,
   claude-2, claude-instant; RouterBench/MMLU-Pro: Mixtral-8x7B-Instruct; MMLU-Pro/RouterDC: Mistral-7B-v0.1,
   Llama-3-8B; MMLU-Pro/LLMRouter: Llama-3.1-8B-Instruct), which puts ~60 models on one scale. Each source
   task has its own mean difficulty (prior d ~ N(mu_task, 1/LAMBDA_D)). The scale is then shifted so that
   RouterBench's models sit where `routing/strengths.py` has them (its Arena mapping is anchored there).
   alpaca_eval's bar is relative (beat GPT-4-turbo): its difficulties keep their ranking but are
   re-levelled so that mistral-7b-chat succeeds on them with probability ALPACA_P_7B (an assumption:
   everyday instructions are within reach of 7B chat models).
2. A ridge regression predicts the difficulty from the text (features: litellm_fusion/routing/features.py),
   families weighted 1/sqrt(size) so cmmlu's thousands of questions do not dominate. LLMRouter's f1-scored
   tasks (natural_qa, trivia_qa) are left out of this step (see TEXT_MODEL_EXCLUDE).
3. How sure it is: the ridge is refitted without each task family in turn (leave-one-family-out) and
   without each of 5 folds of items; on those out-of-fold predictions the slope of
   P = sigmoid(slope * (strength - difficulty)) is fitted as slope = (1 + C_KNOWN + C_UNFAMILIAR * u)^-1/2,
   u = the share of the prompt's n-grams the model has never seen in training. The probit approximation
   of averaging the success curve over the difficulty's prediction error: a prompt unlike anything in
   training gets a flat curve, so strong and weak deployments get close probabilities and the price
   decides, instead of a confident guess.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from litellm_fusion.routing.features import DENSE_NAMES, bigram_key, extract

from . import router_data as rd

SEED = 20251122
LAMBDA_D = 0.5  # prior precision of difficulties around their task's mean
IRT_SWEEPS = 300
MIN_DF = 3
ALPHA = 1.0  # ridge strength: chosen by leave-one-family-out runs (benchmarks/routing/ablations.py)
CV_FOLDS = 5
ARTIFACT = REPO / "litellm_fusion" / "routing" / "difficulty_model.json.gz"
FORMAT = "litellm-fusion-difficulty/2"

# Same model under two spellings across sources -> one name (links the sources' scales).
ALIASES = {
    ("alpaca", "claude-2"): "claude-v2",
    ("alpaca", "claude-instant-1.2"): "claude-instant-v1",
    ("mmlu_pro", "Mixtral-8x7B-Instruct-v0.1"): "mistralai/mixtral-8x7b-chat",
    ("mmlu_pro", "Mistral-7B-v0.1"): "mistralai/Mistral-7B-v0.1",
    ("mmlu_pro", "Meta-Llama-3-8B"): "meta-llama/Meta-Llama-3-8B",
    ("mmlu_pro", "Meta-Llama-3_1-8B-Instruct"): "llama-3.1-8b-instruct",
}
# RouterBench's models at their strengths.py values (the "fitted" entries, which its Arena mapping is tied to).
SCALE_ANCHOR = {
    "gpt-4-1106-preview": 1.93,
    "gpt-3.5-turbo-1106": 0.54,
    "claude-v1": 0.67,
    "claude-instant-v1": 0.34,
    "mistralai/mixtral-8x7b-chat": 0.79,
    "mistralai/mistral-7b-chat": -0.18,
    "meta/llama-2-70b-chat": 0.03,
    "zero-one-ai/Yi-34B-Chat": 1.02,
    "meta/code-llama-instruct-34b-chat": -0.04,
    "WizardLM/WizardLM-13B-V1.2": -0.25,
}
ANCHOR_7B = "mistralai/mistral-7b-chat"
# LLMRouter's f1_score tasks score a chat model's answer by token overlap with a few-word gold answer: the
# best of 9 models gets .22 on trivia_qa whatever the question, which the IRT reads as "short questions are
# hard" (within-family r of the text model ~0 there). They inform the strengths, not the text model.
TEXT_MODEL_EXCLUDE = {"lr/natural_qa", "lr/trivia_qa"}
ALPACA_P_7B = 0.7


def canonical(source: str, model: str) -> str:
    return ALIASES.get((source, model), model)


def observations(items: list[rd.Item]) -> list[tuple[int, str, float]]:
    """(item index, canonical model, score in [0, 1]) of every usable score."""
    out = []
    for n, it in enumerate(items):
        for m, y in sorted(it.scores.items()):
            if it.source == "alpaca" and m == rd.ALPACA_REFERENCE:
                continue
            out.append((n, canonical(it.source, m), min(1.0, max(0.0, y))))
    return out


# ---------------------------------------------------------------- IRT
def fit_irt(train: list[rd.Item]):
    """Strengths (anchored, see SCALE_ANCHOR) and item difficulties (alpaca re-levelled) by alternating
    Newton sweeps; soft labels for fractional scores."""
    import numpy as np

    obs = observations(train)
    models = sorted({m for _, m, _ in obs})
    midx = {m: i for i, m in enumerate(models)}
    ii = np.array([n for n, _, _ in obs])
    mm = np.array([midx[m] for _, m, _ in obs])
    yy = np.array([y for _, _, y in obs])
    tasks = sorted({it.task for it in train})
    tidx = {t: i for i, t in enumerate(tasks)}
    it_t = np.array([tidx[it.task] for it in train])
    M, N, T = len(models), len(train), len(tasks)
    s, d, mu = np.zeros(M), np.zeros(N), np.zeros(T)
    n_t = np.bincount(it_t, minlength=T)
    for _ in range(IRT_SWEEPS):
        p = 1.0 / (1.0 + np.exp(-(s[mm] - d[ii])))
        g = -np.bincount(ii, weights=p - yy, minlength=N) + LAMBDA_D * (d - mu[it_t])
        d = d - g / (np.bincount(ii, weights=p * (1 - p), minlength=N) + LAMBDA_D)
        p = 1.0 / (1.0 + np.exp(-(s[mm] - d[ii])))
        s = s - np.bincount(mm, weights=p - yy, minlength=M) / np.bincount(mm, weights=p * (1 - p), minlength=M)
        c = s.mean()  # the likelihood only sees strength - difficulty: pin the scale's origin
        s, d = s - c, d - c
        mu = np.bincount(it_t, weights=d, minlength=T) / n_t
    shift = float(np.mean([SCALE_ANCHOR[m] - s[midx[m]] for m in SCALE_ANCHOR]))
    s, d = s + shift, d + shift
    al = np.array([it.source == "alpaca" for it in train])
    alpaca_shift = 0.0
    if al.any():
        target = s[midx[ANCHOR_7B]] - math.log(ALPACA_P_7B / (1 - ALPACA_P_7B))
        alpaca_shift = target - float(d[al].mean())
        d[al] += alpaca_shift
    return {m: float(s[midx[m]]) for m in models}, d, {"scale_shift": shift, "alpaca_shift": alpaca_shift}


# ---------------------------------------------------------------- features
def featurize(text: str) -> tuple[list[str], list[float]]:
    uni, bi, dense = extract(text)
    return sorted(uni) + sorted(bigram_key(p) for p in bi), dense


def design(feats, fit_rows):
    """Sparse n-grams seen in >= MIN_DF fitting items (scaled 1/sqrt(#distinct n-grams), as at run time)
    + standardised dense features; the vocabulary and the dense standardisation come from `fit_rows`."""
    import numpy as np
    from scipy import sparse

    df: Counter = Counter()
    for r in fit_rows:
        df.update(feats[r][0])
    terms = sorted(t for t, c in df.items() if c >= MIN_DF)
    vocab = {t: i for i, t in enumerate(terms)}
    rows, cols, vals = [], [], []
    for r, (grams, _) in enumerate(feats):
        v = 1.0 / math.sqrt(len(grams)) if grams else 0.0
        for g in grams:
            j = vocab.get(g)
            if j is not None:
                rows.append(r)
                cols.append(j)
                vals.append(v)
    X = sparse.csr_matrix((vals, (rows, cols)), shape=(len(feats), len(terms)))
    dense = np.array([x for _, x in feats])
    mean, scale = dense[fit_rows].mean(axis=0), dense[fit_rows].std(axis=0) + 1e-6
    return sparse.hstack([X, sparse.csr_matrix((dense - mean) / scale)]).tocsr(), terms, mean, scale


def family_weights(items: list[rd.Item], rows) -> np.ndarray:  # noqa: F821
    import numpy as np

    n = Counter(items[r].family for r in rows)
    w = np.array([1.0 / math.sqrt(n[items[r].family]) for r in rows])
    return w * len(w) / w.sum()


def ridge(X, y, w):
    from sklearn.linear_model import Ridge

    return Ridge(alpha=ALPHA, solver="sparse_cg", tol=1e-6, max_iter=2000).fit(X, y, sample_weight=w)


def unfamiliarity(B, n_grams, rows, fit_rows) -> np.ndarray:  # noqa: F821
    """Share of each row's distinct n-grams (B: binary item x n-gram, n_grams: distinct n-grams per item)
    seen in fewer than MIN_DF of `fit_rows`: what a model fitted on them never saw."""
    import numpy as np

    seen = (np.asarray(B[fit_rows].sum(axis=0)).ravel() >= MIN_DF).astype(np.float64)
    return 1.0 - np.asarray(B[rows] @ seen).ravel() / n_grams[rows]


def fit_slope(pred, u, items, strengths, weights) -> tuple[float, float]:
    """C_KNOWN, C_UNFAMILIAR of slope = (1 + c0 + c1 u)^-1/2, by maximum likelihood of the observed scores
    under the out-of-fold difficulty predictions."""
    import numpy as np
    from scipy.optimize import minimize

    obs = observations(items)
    ii = np.array([n for n, _, _ in obs])
    ss = np.array([strengths[m] for _, m, _ in obs])
    yy = np.array([y for _, _, y in obs])
    per_item = np.bincount(ii, minlength=len(items))
    wo = (np.asarray(weights) / np.maximum(per_item, 1))[ii]
    e = ss - pred[ii]
    uu = u[ii]

    def nll(c):
        a = 1.0 / np.sqrt(1.0 + np.exp(c[0]) + np.exp(c[1]) * uu)
        z = a * e
        return float(np.sum(wo * (np.logaddexp(0.0, z) - yy * z)))

    res = minimize(nll, np.array([0.0, 0.0]), method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-6})
    return float(np.exp(res.x[0])), float(np.exp(res.x[1]))


def canonical_json(artifact: dict) -> bytes:
    return json.dumps(artifact, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def train_model(
    train: list[rd.Item],
    test: list[rd.Item],
    dropped: int = 0,
    bar=None,
    calibrate: bool = True,
    text_keep: Callable[[rd.Item], bool] | None = None,
) -> tuple[dict, dict]:
    """IRT, ridge and slope calibration on `train`; returns (artifact, report). `test` only fills the
    artifact's held-out manifest. calibrate=False skips the out-of-fold refits (slope taken as 1).
    `text_keep`: only the items it accepts train the text model (leave-one-family-out priors, as
    benchmarks/routing_generalisation.py: the IRT strengths still come from every item)."""
    import numpy as np

    def step(msg: str) -> None:
        if bar is not None:
            bar.set_postfix_str(msg)
            bar.update()

    strengths, y, shifts = fit_irt(train)
    keep = [
        n for n, it in enumerate(train) if it.task not in TEXT_MODEL_EXCLUDE and (text_keep is None or text_keep(it))
    ]
    train, y = [train[n] for n in keep], y[keep]
    step("irt fitted")
    feats = [featurize(it.text) for it in train]
    rows = np.arange(len(train))
    X, terms, dmean, dscale = design(feats, rows)
    V = len(terms)
    w = family_weights(train, rows)
    step(f"{X.shape[0]}x{X.shape[1]} features")

    fams = np.array([it.family for it in train])
    c_known, c_unfam, oof_report = 0.0, 0.0, {}
    if calibrate:
        B = (X[:, :V] > 0).astype(np.float64)
        n_grams = np.array([max(1, len(g)) for g, _ in feats], dtype=float)
        folds = np.array(
            [int(hashlib.sha256(f"cv\x00{it.key}".encode()).hexdigest()[:8], 16) % CV_FOLDS for it in train]
        )
        pred = np.zeros((2, len(train)))
        unfam = np.zeros((2, len(train)))
        for k, groups in enumerate((folds, fams)):  # 0: new items of known families, 1: unseen families
            for g in sorted(set(groups.tolist())):
                held = np.flatnonzero(groups == g)
                fit = np.flatnonzero(groups != g)
                pred[k, held] = ridge(X[fit], y[fit], w[fit]).predict(X[held])
                unfam[k, held] = unfamiliarity(B, n_grams, held, fit)
            step("item CV" if k == 0 else "leave-one-family-out")
        both = np.concatenate([pred[0], pred[1]])
        c_known, c_unfam = fit_slope(
            both, np.concatenate([unfam[0], unfam[1]]), train + train, strengths, np.concatenate([w, w])
        )
        for k, name in enumerate(("item_cv", "lofo")):
            oof_report[name] = {
                "mean_unfamiliarity": round(float(unfam[k].mean()), 4),
                "within_family_r": {
                    f: round(float(np.corrcoef(pred[k][fams == f], y[fams == f])[0, 1]), 4)
                    for f in sorted(set(fams.tolist()))
                },
                "family_level_error": {
                    f: round(float(pred[k][fams == f].mean() - y[fams == f].mean()), 3)
                    for f in sorted(set(fams.tolist()))
                },
            }
    else:
        step("no calibration")
        step("no calibration")

    model = ridge(X, y, w)
    coef = model.coef_
    unigrams, bigrams = {}, {}
    for j, t in enumerate(terms):
        (bigrams if " " in t else unigrams)[t] = round(float(coef[j]), 5)
    heldout: dict[str, list[str]] = {}
    for it in test:
        heldout.setdefault(it.task, []).append(it.key)
    artifact = {
        "format": FORMAT,
        "version": "",
        "a": 1.0,
        "slope": {"known": round(c_known, 5), "unfamiliar": round(c_unfam, 5)},
        "bias": round(float(model.intercept_), 6),
        "dense_names": list(DENSE_NAMES),
        "dense_weights": [round(float(x), 6) for x in coef[V:]],
        "dense_mean": [round(float(x), 6) for x in dmean],
        "dense_scale": [round(float(x), 6) for x in dscale],
        "clamp": [round(float(np.percentile(y, 0.5)) - 1.0, 3), round(float(np.percentile(y, 99.5)) + 1.0, 3)],
        "empty_difficulty": round(float(np.percentile(y, 10)), 4),
        "unigrams": unigrams,
        "bigrams": bigrams,
        "strengths": {m: round(v, 4) for m, v in sorted(strengths.items())},
        "scale": (
            "logits: p_success = 1/(1+exp(-slope*(strength-difficulty))), slope = (1 + slope.known + "
            "slope.unfamiliar * share of unseen n-grams)^-1/2. All sources fitted jointly through shared models; "
            f"shifted by {shifts['scale_shift']:+.3f} so RouterBench's models match routing/strengths.py; "
            f"alpaca_eval re-levelled by {shifts['alpaca_shift']:+.3f} (mean P({ANCHOR_7B}) = {ALPACA_P_7B})."
        ),
        "training": {
            "seed": SEED,
            "holdout_fraction": rd.HOLDOUT_FRACTION,
            "lambda_d": LAMBDA_D,
            "ridge_alpha": ALPHA,
            "n_train_items": len(train),
            "n_train_by_family": dict(sorted(Counter(fams.tolist()).items())),
            "n_decontaminated": dropped,
            "out_of_fold": oof_report,
            "family_mean_difficulty": {f: round(float(y[fams == f].mean()), 3) for f in sorted(set(fams.tolist()))},
        },
        "heldout": {t: sorted(v) for t, v in sorted(heldout.items())},
    }
    artifact["version"] = "irt-ridge-2+" + hashlib.sha256(canonical_json(artifact)).hexdigest()[:10]
    report = {"strengths": strengths, "shifts": shifts, "slope": (c_known, c_unfam), "oof": oof_report}
    return artifact, report


def write_artifact(artifact: dict, out: Path) -> None:
    # mtime=0: byte-identical output on every run
    with open(out, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, filename="") as gz:
        gz.write(canonical_json(artifact))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--out", default=str(ARTIFACT))
    args = ap.parse_args()

    from tqdm import tqdm

    t0 = time.time()
    bar = tqdm(total=6, desc="train_router", file=sys.stderr)
    items, dropped = rd.decontaminate(rd.load_all(Path(args.data)))
    train = [it for it in items if it.split == "train"]
    test = [it for it in items if it.split == "test"]
    bar.set_postfix_str("loaded")
    bar.update()
    artifact, rep = train_model(train, test, dropped, bar)
    out = Path(args.out)
    write_artifact(artifact, out)
    bar.set_postfix_str("written")
    bar.update()
    bar.close()

    strengths = rep["strengths"]
    print(
        f"artifact: {out} ({out.stat().st_size / 1e6:.2f} MB gz, {len(artifact['unigrams'])} unigrams, "
        f"{len(artifact['bigrams'])} bigrams)"
    )
    print(f"version: {artifact['version']}")
    print(f"items: {len(train)} train, {len(test)} test/held-out, {dropped} train items dropped as test duplicates")
    print(
        f"IRT: {len(strengths)} models; scale shift {rep['shifts']['scale_shift']:+.3f}, "
        f"alpaca re-level {rep['shifts']['alpaca_shift']:+.3f}"
    )
    c0, c1 = rep["slope"]
    print(
        f"slope: known prompts {1 / math.sqrt(1 + c0):.3f}, wholly unfamiliar {1 / math.sqrt(1 + c0 + c1):.3f} "
        f"(c_known={c0:.3f}, c_unfamiliar={c1:.3f})"
    )
    for k, v in rep["oof"].items():
        print(
            f"{k}: mean unfamiliarity {v['mean_unfamiliarity']:.2f}; within-family r "
            + ", ".join(f"{f}={r:.2f}" for f, r in v["within_family_r"].items())
        )
    print("strengths: " + ", ".join(f"{m}={v:+.2f}" for m, v in sorted(strengths.items(), key=lambda kv: -kv[1])))
    print(f"took {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
