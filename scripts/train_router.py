#!/usr/bin/env python
"""Train the complexity-routing difficulty classifier (litellm_fusion/routing/difficulty_model.json.gz).

    .venv/bin/python scripts/train_router.py [--data ../shared/data] [--out PATH]

About 30 s on 2 cores. Deterministic (fixed seeds, sorted inputs, hash-based splits).

Steps
1. Load every data set (see ../shared/data/README.md). Items with an upstream train/test split keep it;
   sets without one (routerdc MATH_prealgebra, ceval, javascript, mbpp; alpaca_eval) are split by
   sha256(dataset, text): HOLDOUT_FRACTION held out. The held-out keys are written into the artifact
   (`heldout`) and benchmarks/routing_eval.py refuses to score an item that is not in a test part.
2. Decontaminate: a training item whose question also appears in any test / held-out item (RouterBench's
   ARC and MBPP overlap RouterDC's) is dropped (6-token shingles, boilerplate shingles ignored).
3. Item-response theory on the training items only: P(m solves q) = sigmoid(a (s_m - d_q)), a = 1,
   soft labels for fractional scores, Gaussian prior d_q ~ N(mu_family, 1/LAMBDA_D). Scales:
   - RouterBench (11 models) and alpaca_eval (13 models, success = the GPT-4-turbo judge prefers the
     answer to gpt4_1106_preview's) are fitted jointly; they share gpt-3.5-turbo-1106, claude-v2 (=claude-2),
     claude-instant-v1 (=claude-instant-1.2). gpt4_1106_preview's own alpaca file (0.5 by construction)
     is not used.
   - alpaca_eval's bar is relative (beat GPT-4-turbo), which would make every chat instruction "hard":
     its difficulties keep their ranking but are re-levelled so that mistral-7b-chat's mean P(success)
     on them is ALPACA_P_7B = 0.7 (assumption, documented in fit_irt).
   - RouterDC's 7 models share nobody with the others: that block is shifted so that the mean strength
     of its 7 models (all Mistral-7B / Llama-3-8B derivatives) equals the fitted strength of
     mistralai/mistral-7b-chat. The model is shift-invariant within a block, so this loses nothing.
4. A ridge regressor (features: litellm_fusion/routing/features.py) predicts d_q from the prompt text.
   Few-shot prompts (RouterBench ARC / Winogrande embed solved examples) are featurized on their final
   question only (`features.focus`); the examples' size is one dense feature. Tried and not kept (no gain in
   the CV below, +-0.005 within-family r): a two-part model (ridge on family-demeaned difficulties and
   family-demeaned dense features + a level model on the residual) and gradient-boosted trees on the dense
   features over the ridge residual.
   Ridge alpha is chosen by leave-one-task-family-out CV (generalisation to unseen task families) averaged
   with 5-fold item CV, scoring within-family correlation of predicted vs fitted difficulty.
   Families are weighted equally-ish
   (weight 1/sqrt(family size)) so the 3.5k Chinese MCQs do not dominate.
"""

from __future__ import annotations

import argparse
import ast
import csv
import gzip
import hashlib
import json
import math
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from litellm_fusion.routing.features import DENSE_NAMES, bigram_key, extract  # noqa: E402

SEED = 20251122
HOLDOUT_FRACTION = 0.3
A = 1.0  # IRT slope; the scale of strengths and difficulties is logits of success
LAMBDA_D = 0.5  # prior precision of difficulties around their family mean
LAMBDA_S = 0.01
MIN_DF = 3
MAX_FEATURES = 40000
ALPHAS = (0.3, 0.5, 1.0, 2.0, 3.0, 10.0)
ARTIFACT = REPO / "litellm_fusion" / "routing" / "difficulty_model.json.gz"
csv.field_size_limit(1 << 30)

# Same model under two spellings (RouterBench's Bedrock names vs alpaca_eval's).
ALIASES = {
    "claude-2": "claude-v2",
    "claude-instant-1.2": "claude-instant-v1",
    "gpt4_1106_preview": "gpt-4-1106-preview",
}
ANCHOR_7B = "mistralai/mistral-7b-chat"
ALPACA_P_7B = 0.7  # re-levelling of alpaca_eval difficulties, see fit_irt
ALPACA_EXCLUDE = {"gpt4_1106_preview"}  # the judge's reference: its p_beats is 0.5 by construction


@dataclass
class Item:
    source: str  # routerbench | routerdc | alpaca
    family: str  # task family, e.g. "rb/arc_challenge"
    split: str  # train | test
    text: str  # the prompt as a user would send it
    core: str  # the question itself (last few-shot block), for decontamination
    scores: dict[str, float]
    costs: dict[str, float] = field(default_factory=dict)
    key: str = ""


def text_key(family: str, text: str) -> str:
    return hashlib.sha256(f"{family}\x00{text}".encode()).hexdigest()[:16]


def is_heldout(family: str, text: str) -> bool:
    h = hashlib.sha256(f"split\x00{family}\x00{text}".encode()).hexdigest()
    return int(h[:8], 16) / 2**32 < HOLDOUT_FRACTION


def last_block(text: str) -> str:
    blocks = [b for b in text.strip().split("\n\n") if b.strip()]
    return blocks[-1] if blocks else text


def load_routerbench(data: Path) -> list[Item]:
    items: list[Item] = []
    for task in ("arc_challenge", "mbpp", "winograde"):
        for split in ("train", "test"):
            with open(data / "routerbench" / f"{task}_{split}.csv", newline="") as f:
                reader = csv.DictReader(f)
                cols = reader.fieldnames or []
                models = [
                    c for c in cols
                    if c and "|" not in c and c not in ("sample_id", "prompt", "eval_name", "oracle_model_to_route_to")
                ]
                for row in reader:
                    p = ast.literal_eval(row["prompt"])
                    text = "\n".join(p) if isinstance(p, list) else str(p)
                    scores = {m: float(row[m]) for m in models if row[m] != ""}
                    costs = {m: float(row[m + "|total_cost"]) for m in models if row.get(m + "|total_cost", "") != ""}
                    fam = f"rb/{task}"
                    items.append(Item("routerbench", fam, split, text, last_block(text), scores, costs,
                                      key=row["sample_id"]))
    return items


ROUTERDC_SPLIT = {
    "arc_challenge": ("arc_challenge_train.json", "arc_challenge_test.json"),
    "arc_easy": ("arc_easy_train.json", "arc_easy_test.json"),
    "cmmlu": ("cmmlu_train.json", "cmmlu_test.json"),
    "humaneval": ("humaneval_train.json", "humaneval_test.json"),
}
ROUTERDC_SINGLE = {"MATH_prealgebra": "MATH_prealgebra.json", "ceval": "ceval.json",
                   "javascript": "javascript.json", "mbpp": "mbpp.json"}


def load_routerdc(data: Path) -> list[Item]:
    items: list[Item] = []
    d = data / "routerdc_7model"
    for fam, (tr, te) in ROUTERDC_SPLIT.items():
        for split, fn in (("train", tr), ("test", te)):
            for x in json.loads((d / fn).read_text()):
                q = x["question"]
                items.append(Item("routerdc", f"dc/{fam}", split, q, q, {m: float(v) for m, v in x["scores"].items()}))
    for fam, fn in ROUTERDC_SINGLE.items():
        for x in json.loads((d / fn).read_text()):
            q = x["question"]
            split = "test" if is_heldout(f"dc/{fam}", q) else "train"
            items.append(Item("routerdc", f"dc/{fam}", split, q, q, {m: float(v) for m, v in x["scores"].items()}))
    return items


def load_alpaca(data: Path) -> list[Item]:
    by_text: dict[str, dict[str, float]] = defaultdict(dict)
    order: list[str] = []
    for fn in sorted((data / "alpaca_eval").glob("*.jsonl")):
        for line in fn.read_text().splitlines():
            r = json.loads(line)
            if r.get("p_beats_gpt4_1106") is None:
                continue
            t = r["instruction"]
            if t not in by_text:
                order.append(t)
            by_text[t][r["model"]] = float(r["p_beats_gpt4_1106"])
    items = []
    for t in order:
        split = "test" if is_heldout("alpaca", t) else "train"
        items.append(Item("alpaca", "alpaca", split, t, t, dict(by_text[t])))
    return items


def load_all(data: Path) -> list[Item]:
    items = load_routerbench(data) + load_routerdc(data) + load_alpaca(data)
    for it in items:
        if not it.key:
            it.key = text_key(it.family, it.text)
    return items


# ---------------------------------------------------------------- decontamination
_WORD = re.compile(r"[a-z0-9]+|[^\x00-\x7f]")


def shingles(text: str, n: int = 6) -> set[tuple[str, ...]]:
    w = _WORD.findall(text.lower())
    if len(w) < n:
        return {tuple(w)} if w else set()
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def decontaminate(items: list[Item]) -> tuple[list[Item], int]:
    sh = {id(it): shingles(it.core) for it in items}
    df: Counter = Counter()
    for s in sh.values():
        df.update(s)
    boiler = {s for s, c in df.items() if c > 25}
    test_sh: set = set()
    for it in items:
        if it.split == "test":
            test_sh |= sh[id(it)] - boiler
    kept, dropped = [], 0
    for it in items:
        if it.split == "train":
            s = sh[id(it)] - boiler
            if s and sum(1 for x in s if x in test_sh) >= 0.5 * len(s):
                dropped += 1
                continue
        kept.append(it)
    return kept, dropped


# ---------------------------------------------------------------- IRT
def canonical(source: str, model: str) -> str:
    if source == "routerdc":
        return "routerdc:" + model
    return ALIASES.get(model, model)


def fit_irt(train: list[Item]):
    import numpy as np
    from scipy.optimize import minimize

    models = sorted({canonical(it.source, m) for it in train for m in it.scores
                     if not (it.source == "alpaca" and m in ALPACA_EXCLUDE)})
    midx = {m: i for i, m in enumerate(models)}
    fams = sorted({it.family for it in train})
    fidx = {f: i for i, f in enumerate(fams)}
    ii, mm, yy = [], [], []
    for n, it in enumerate(train):
        for m, y in it.scores.items():
            if it.source == "alpaca" and m in ALPACA_EXCLUDE:
                continue
            ii.append(n)
            mm.append(midx[canonical(it.source, m)])
            yy.append(min(1.0, max(0.0, y)))
    ii, mm, yy = np.array(ii), np.array(mm), np.array(yy)
    item_fam = np.array([fidx[it.family] for it in train])
    M, N, F = len(models), len(train), len(fams)

    def f(theta):
        s, d, mu = theta[:M], theta[M : M + N], theta[M + N :]
        z = A * (s[mm] - d[ii])
        p = 1.0 / (1.0 + np.exp(-z))
        # BCE with soft labels: log(1+e^z) - y z
        nll = np.sum(np.logaddexp(0.0, z) - yy * z)
        g = A * (p - yy)
        gs = np.bincount(mm, weights=g, minlength=M)
        gd = -np.bincount(ii, weights=g, minlength=N)
        r = d - mu[item_fam]
        nll += 0.5 * LAMBDA_D * np.sum(r * r) + 0.5 * LAMBDA_S * np.sum(s * s)
        gd += LAMBDA_D * r
        gs += LAMBDA_S * s
        gmu = -LAMBDA_D * np.bincount(item_fam, weights=r, minlength=F)
        return nll, np.concatenate([gs, gd, gmu])

    res = minimize(f, np.zeros(M + N + F), jac=True, method="L-BFGS-B", options={"maxiter": 5000, "gtol": 1e-6})
    s, d = res.x[:M].copy(), res.x[M : M + N].copy()
    # Link the RouterDC block to the shared scale (see module docstring).
    dc_models = [i for i, m in enumerate(models) if m.startswith("routerdc:")]
    shift = s[midx[ANCHOR_7B]] - float(np.mean(s[dc_models]))
    s[dc_models] += shift
    for n, it in enumerate(train):
        if it.source == "routerdc":
            d[n] += shift
    # alpaca_eval's "success" (the judge prefers the answer to GPT-4-turbo's) is a relative bar: it puts
    # every open-ended instruction near GPT-4's own strength, so "hi" would look hard. Keep its within-set
    # ranking, re-level it: mean difficulty such that mistralai/mistral-7b-chat answers acceptably with
    # probability ALPACA_P_7B (an assumption: everyday instructions are within reach of 7B chat models).
    al = np.array([it.source == "alpaca" for it in train])
    if al.any():
        target = s[midx[ANCHOR_7B]] - math.log(ALPACA_P_7B / (1 - ALPACA_P_7B)) / A
        d[al] += target - float(d[al].mean())
    return {m: float(s[midx[m]]) for m in models}, d, res, shift


# ---------------------------------------------------------------- features
def featurize(text: str) -> tuple[list[str], list[float]]:
    uni, bi, dense = extract(text)
    return sorted(uni) + sorted(bigram_key(p) for p in bi), dense


def build_matrix(feats, vocab, dense_mean, dense_scale):
    import numpy as np
    from scipy import sparse

    rows, cols, vals = [], [], []
    for r, (grams, _) in enumerate(feats):
        v = 1.0 / math.sqrt(len(grams)) if grams else 0.0
        for g in grams:
            j = vocab.get(g)
            if j is not None:
                rows.append(r)
                cols.append(j)
                vals.append(v)
    X = sparse.csr_matrix((vals, (rows, cols)), shape=(len(feats), len(vocab)))
    D = (np.array([d for _, d in feats]) - dense_mean) / dense_scale
    return sparse.hstack([X, sparse.csr_matrix(D)]).tocsr()


def canonical_json(artifact: dict) -> bytes:
    """The artifact's bytes: sorted keys, no whitespace (hashed for the version, then written)."""
    return json.dumps(artifact, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def design(train: list[Item]):
    """The ridge's design matrix of `train` (sparse n-grams with MIN_DF + standardised dense features), its
    vocabulary, the dense standardisation, and the sample weights (1/sqrt(family size), mean 1)."""
    import numpy as np

    feats = [featurize(it.text) for it in train]
    df: Counter = Counter()
    for grams, _ in feats:
        df.update(grams)
    vocab_terms = sorted(t for t, c in df.items() if c >= MIN_DF)
    vocab = {t: i for i, t in enumerate(vocab_terms)}
    dense = np.array([x for _, x in feats])
    dense_mean = dense.mean(axis=0)
    dense_scale = dense.std(axis=0) + 1e-6
    X = build_matrix(feats, vocab, dense_mean, dense_scale)
    fam_n = Counter(it.family for it in train)
    w = np.array([1.0 / math.sqrt(fam_n[it.family]) for it in train])
    w *= len(w) / w.sum()
    return X, vocab_terms, dense_mean, dense_scale, w


def out_of_fold(X, y, w, groups, alpha: float, sel=None):
    """Ridge predictions of y for each group (a family, or a CV fold) from a fit on the other groups (and
    only rows in `sel`, if given); 0 for a group with nothing to fit on."""
    import numpy as np
    from sklearn.linear_model import Ridge

    pred = np.zeros(len(y))
    for g in np.unique(groups):
        held = groups == g
        fit = ~held if sel is None else (~held & sel)
        if fit.any():
            pred[held] = Ridge(alpha=alpha).fit(X[fit], y[fit], sample_weight=w[fit]).predict(X[held])
    return pred


def train_model(
    train: list[Item], test: list[Item], dropped: int = 0, bar=None, alphas: tuple[float, ...] = ALPHAS
) -> tuple[dict, dict]:
    """Fit IRT on `train`, then the ridge; returns (artifact, report). `test` only fills the artifact's
    held-out manifest: nothing of it is used for fitting. `alphas`: the ridge strengths the CV chooses from."""
    import numpy as np
    from scipy.stats import pearsonr, spearmanr
    from sklearn.linear_model import Ridge

    def step(msg: str) -> None:
        if bar is not None:
            bar.set_postfix_str(msg)
            bar.update()

    np.random.seed(SEED)
    strengths, d, res, shift = fit_irt(train)
    step("irt fitted")

    X, vocab_terms, dense_mean, dense_scale, w = design(train)
    y = d
    fam_of = np.array([it.family for it in train])
    fam_n = Counter(fam_of.tolist())
    step(f"{X.shape[0]}x{X.shape[1]} features")

    # Alpha: mean of (a) leave-one-family-out CV (generalisation to unseen task families) and (b) 5-fold
    # item CV (new prompts of known families); each scored as the mean within-family Pearson r between
    # predicted and fitted difficulty, which is what ranking prompts for routing needs.
    fams = sorted(fam_n)
    folds = np.random.RandomState(SEED).randint(0, 5, len(train))

    def within_r(pred):
        rs = []
        for fam in fams:
            sel = fam_of == fam
            if sel.sum() > 2 and np.std(pred[sel]) > 0:
                r = pearsonr(pred[sel], y[sel])[0]
                rs.append(0.0 if math.isnan(r) else float(r))
        return rs

    cv: dict[float, list[float]] = {}
    cv_items: dict[float, list[float]] = {}
    for alpha in alphas if len(alphas) > 1 else ():  # nothing to choose: no CV
        cv[alpha] = within_r(out_of_fold(X, y, w, fam_of, alpha))
        cv_items[alpha] = within_r(out_of_fold(X, y, w, folds, alpha))
    score = {a_: (float(np.mean(cv[a_])) + float(np.mean(cv_items[a_]))) / 2 for a_ in cv}
    best_alpha = max(alphas, key=lambda a_: (score.get(a_, 0.0), a_))
    step(f"alpha={best_alpha}")

    model = Ridge(alpha=best_alpha, random_state=SEED)
    model.fit(X, y, sample_weight=w)
    coef = model.coef_
    V = len(vocab_terms)
    sparse_w = coef[:V]
    keep = np.argsort(-np.abs(sparse_w), kind="stable")[:MAX_FEATURES]
    keep = [j for j in sorted(keep.tolist()) if abs(sparse_w[j]) >= 1e-4]
    unigrams, bigrams = {}, {}
    for j in keep:
        t = vocab_terms[j]
        (bigrams if " " in t else unigrams)[t] = round(float(sparse_w[j]), 5)
    pred_train = model.predict(X)
    in_fam_r = {f: float(pearsonr(pred_train[fam_of == f], y[fam_of == f])[0]) for f in fams}

    heldout: dict[str, list[str]] = defaultdict(list)
    for it in test:
        heldout[it.family].append(it.key)
    artifact = {
        "format": "litellm-fusion-difficulty/1",
        "version": "",
        "a": A,
        "bias": round(float(model.intercept_), 6),
        "dense_names": list(DENSE_NAMES),
        "dense_weights": [round(float(x), 6) for x in coef[V:]],
        "dense_mean": [round(float(x), 6) for x in dense_mean],
        "dense_scale": [round(float(x), 6) for x in dense_scale],
        "clamp": [round(float(np.percentile(y, 0.5)) - 1.0, 3), round(float(np.percentile(y, 99.5)) + 1.0, 3)],
        "empty_difficulty": round(float(np.percentile(y, 10)), 4),
        "unigrams": unigrams,
        "bigrams": bigrams,
        "strengths": {m: round(v, 4) for m, v in sorted(strengths.items())},
        "scale": (
            "logits: p_success = 1/(1+exp(-a*(strength-difficulty))). RouterBench+alpaca_eval fitted jointly "
            f"(shared models); RouterDC block shifted by {shift:+.3f} so its 7-model mean = {ANCHOR_7B}."
        ),
        "training": {
            "seed": SEED,
            "holdout_fraction": HOLDOUT_FRACTION,
            "lambda_d": LAMBDA_D,
            "ridge_alpha": best_alpha,
            "cv_alpha_mean_within_family_r": {str(k): round(float(np.mean(v)), 4) for k, v in cv.items()},
            "item_cv_alpha_mean_within_family_r": {str(k): round(float(np.mean(v)), 4) for k, v in cv_items.items()},
            "cv_within_family_r_best": {f: round(r, 4) for f, r in zip(fams, cv.get(best_alpha, []))},
            "item_cv_within_family_r_best": {f: round(r, 4) for f, r in zip(fams, cv_items.get(best_alpha, []))},
            "train_within_family_r": {f: round(r, 4) for f, r in in_fam_r.items()},
            "n_train_items": len(train),
            "n_train_by_family": dict(sorted(fam_n.items())),
            "n_decontaminated": dropped,
            "irt_converged": bool(res.success),
            "family_mean_difficulty": {f: round(float(y[fam_of == f].mean()), 3) for f in fams},
        },
        "heldout": {f: sorted(v) for f, v in sorted(heldout.items())},
    }
    body = canonical_json(artifact)
    artifact["version"] = "irt-ridge-1+" + hashlib.sha256(body).hexdigest()[:10]
    report = {
        "cv": cv, "cv_items": cv_items, "best_alpha": best_alpha, "fams": fams, "strengths": strengths,
        "shift": shift, "irt_converged": bool(res.success),
        "family_mean": {f: float(y[fam_of == f].mean()) for f in fams},
        "spearman_train": float(spearmanr(pred_train, y)[0]),
    }
    return artifact, report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--out", default=str(ARTIFACT))
    args = ap.parse_args()

    from tqdm import tqdm

    t0 = time.time()
    bar = tqdm(total=6, desc="train_router", file=sys.stderr)
    items = load_all(Path(args.data))
    bar.set_postfix_str("loaded")
    bar.update()
    items, dropped = decontaminate(items)
    train = [it for it in items if it.split == "train"]
    test = [it for it in items if it.split == "test"]
    bar.set_postfix_str("decontaminated")
    bar.update()
    artifact, rep = train_model(train, test, dropped, bar)
    out = Path(args.out)
    payload = canonical_json(artifact)
    with open(out, "wb") as fh:  # mtime=0: byte-identical output on every run
        with gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, filename="") as gz:
            gz.write(payload)
    bar.set_postfix_str("written")
    bar.update()
    bar.close()

    cv, cv_items, best_alpha, fams = rep["cv"], rep["cv_items"], rep["best_alpha"], rep["fams"]
    strengths = rep["strengths"]
    print(f"artifact: {out} ({out.stat().st_size / 1e6:.2f} MB gz, {len(artifact['unigrams'])} unigrams, "
          f"{len(artifact['bigrams'])} bigrams)")
    print(f"version: {artifact['version']}")
    print(f"items: {len(train)} train, {len(test)} test/held-out, {dropped} train items dropped as test duplicates")
    print(f"IRT: {len(strengths)} models, converged={rep['irt_converged']}, RouterDC shift {rep['shift']:+.3f}")
    print(f"ridge alpha={best_alpha}; mean within-family r, leave-one-family-out / 5-fold items: "
          + ", ".join(f"{k}: {sum(cv[k]) / len(cv[k]):.3f}/{sum(cv_items[k]) / len(cv_items[k]):.3f}" for k in ALPHAS))
    print("within-family r at best alpha (LOFO / item CV): "
          + ", ".join(f"{f}={r:.2f}/{r2:.2f}" for f, r, r2 in zip(fams, cv[best_alpha], cv_items[best_alpha])))
    print("family mean difficulty: " + ", ".join(f"{f}={v:+.2f}" for f, v in rep["family_mean"].items()))
    print("strengths: " + ", ".join(f"{m}={v:+.2f}" for m, v in sorted(strengths.items(), key=lambda kv: -kv[1])))
    print(f"spearman(train pred, target) = {rep['spearman_train']:.3f}; took {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
