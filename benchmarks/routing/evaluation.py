"""Offline evaluation of complexity routing on RouterBench's 11-model pool (real per-query costs), and speed.

    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python -m benchmarks routing eval [--data ../shared/data]

Scores only RouterBench's test items (the artifact's `heldout` manifest is checked). Quality vs real dollar
cost: the product's own policy (`routing.strategy.choose`) swept over the price weight, against threshold
sweeps of LiteLLM's complexity_router `heuristic` / `heuristic_v2`, prompt length and random over every pair
of frontier deployments; cost to reach the best single model's quality; mean quality over log-spaced budgets;
the mode table (which price weight each named mode is). Per-prompt latency side by side with LiteLLM's
heuristic, incl. an ~8k-token prompt. Writes benchmarks/routing_quality_cost.png. Strong/weak APGR by task
family, leave-one-family-out and the mixed workload: benchmarks/routing/generalisation.py.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
from litellm_fusion.config.routing import MODE_PRICE_WEIGHT
from litellm_fusion.routing.difficulty_model import ARTIFACT_PATH, DifficultyModel, _read_artifact
from litellm_fusion.routing.strategy import DeploymentProfile, choose
from litellm_fusion.routing.text import request_text
from scripts import router_data as rd
from scripts import train_router as tr

from ..harness.paths import BENCHMARKS, DATA, REPO

SEED = 7
RB_PAIRS = [("gpt-4-1106-preview", "mistralai/mixtral-8x7b-chat"), ("gpt-4-1106-preview", "gpt-3.5-turbo-1106")]
ALPACA_PAIRS = [("gpt4_1106_preview", "gpt-3.5-turbo-1106"), ("FuseChat-Gemma-2-9B-Instruct", "gpt-3.5-turbo-1106")]
BASELINES = ["heuristic", "heuristic_v2", "length", "random"]
PRICE_WEIGHTS = [0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0, 10.0]
CURVE_WEIGHTS = sorted(set(PRICE_WEIGHTS) | {0.002 * 10 ** (k / 15) for k in range(61)})  # 0.002 .. 20
TOLERANCES = [
    0.0,
    0.01,
    0.02,
    0.03,
    0.05,
    0.07,
    0.1,
    0.125,
    0.15,
    0.2,
    0.3,
    0.5,
]  # random = expected value (all scores tied)


# ---------------------------------------------------------------- routers
def make_litellm_classifiers():
    import litellm
    from litellm.router_strategy.complexity_router.complexity_router import ComplexityRouter

    router = litellm.Router(
        model_list=[{"model_name": "m", "litellm_params": {"model": "openai/gpt-4o-mini", "api_key": "x"}}]
    )
    tiers = {"SIMPLE": "m", "MEDIUM": "m", "COMPLEX": "m", "REASONING": "m"}
    v1 = ComplexityRouter(model_name="cr", litellm_router_instance=router, complexity_router_config={"tiers": tiers})
    v2 = ComplexityRouter(
        model_name="cr2",
        litellm_router_instance=router,
        complexity_router_config={"classifier_type": "heuristic_v2", "tiers": tiers},
    )

    def heuristic(text: str) -> float:
        return float(v1.classify(text)[1])

    def heuristic_v2(text: str) -> float:
        probs = v2._classify_with_heuristic_v2(text).heuristic_v2_forecast["probabilities"]
        return float(sum(1.0 - p for p in probs.values()))

    return v1, heuristic, heuristic_v2


def strength_of(model: DifficultyModel, source: str, name: str) -> float:
    return model.strengths[tr.canonical(source, name)]


def short(m: str) -> str:
    return m.split("/")[-1]


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
def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--plot", default=str(BENCHMARKS / "routing_quality_cost.png"))
    args = ap.parse_args(argv)
    rnd = random.Random(SEED)
    artifact = _read_artifact(ARTIFACT_PATH)
    dm = DifficultyModel(artifact)
    items = rd.load_all(Path(args.data))
    test = [it for it in items if it.split == "test" and it.source == "routerbench"]
    train = [it for it in items if it.split == "train"]
    for task in sorted({it.task for it in test}):
        keys = sorted(it.key for it in test if it.task == task)
        if artifact["heldout"].get(task) != keys:
            raise SystemExit(f"held-out items of {task} differ from the artifact's manifest: retrain first")
    print(f"model {dm.version}; scoring {len(test)} RouterBench test items (never trained on)\n")

    v1, heuristic, heuristic_v2 = make_litellm_classifiers()
    est = {id(it): dm.estimate(request_text([{"role": "user", "content": it.text}])) for it in test}
    scorers = {
        "ours": lambda it: est[id(it)].difficulty,
        "heuristic": lambda it: heuristic(it.text),
        "heuristic_v2": lambda it: heuristic_v2(it.text),
        "length": lambda it: float(len(it.text)),
        "random": lambda it: 0.0,  # all tied: the tie handling gives random routing's expected curve
    }
    S: dict[str, dict[int, float]] = defaultdict(dict)
    for name, fn in scorers.items():
        for it in test:
            S[name][id(it)] = fn(it)

    # ------------------------------------------------ RouterBench 11-model pool: quality vs cost
    rb_train = [it for it in train if it.source == "routerbench"]
    models = sorted({m for it in rb_train for m in it.scores})
    avg_cost = {m: statistics.fmean(it.costs[m] for it in rb_train if m in it.costs) for m in models}
    avg_q = {m: statistics.fmean(it.scores[m] for it in rb_train if m in it.scores) for m in models}
    frontier = [
        m
        for m in models
        if not any(
            avg_cost[o] <= avg_cost[m] and avg_q[o] >= avg_q[m] and (avg_cost[o], avg_q[o]) != (avg_cost[m], avg_q[m])
            for o in models
        )
    ]
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
                return choose(profiles, est[id(it)], w, 1, 0).chosen.model

            pts.append((w,) + evaluate(its, pick))
        return pts

    def tolerance_points(its):
        """The rule the price weight replaced: cheapest deployment within `tol` of the best p_success."""
        pts = []
        for tol in TOLERANCES:

            def pick(it, tol=tol):
                p = {m: est[id(it)].p_success(strength[m]) for m in models}
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
                c0, q0 = evaluate(its, lambda it, cheap=cheap: cheap)
                for strong_m in frontier[i + 1 :]:
                    c1, q1 = evaluate(its, lambda it, strong_m=strong_m: strong_m)
                    pts += [(c0 + (c1 - c0) * k / 50, q0 + (q1 - q0) * k / 50) for k in range(51)]
            return pts
        for i, cheap in enumerate(frontier):
            for strong_m in frontier[i + 1 :]:
                for k in range(51):
                    cut = round(len(order) * k / 50)
                    strong_set = {id(it) for it in order[:cut]}
                    pts.append(
                        evaluate(
                            its,
                            lambda it, strong_m=strong_m, strong_set=strong_set, cheap=cheap: (
                                strong_m if id(it) in strong_set else cheap
                            ),
                        )
                    )
        return pts

    complete = [
        it for it in test if it.source == "routerbench" and all(m in it.scores and m in it.costs for m in models)
    ]
    rb_splits = {fam: [it for it in complete if it.family == fam] for fam in sorted({it.family for it in complete})}
    rb_splits["rb/all three"] = complete
    print("\n### RouterBench 11-model pool: cost to match the best single model's quality (test splits)\n")
    print(f"Frontier deployments (by RouterBench-train avg cost/quality): {', '.join(short(m) for m in frontier)}\n")
    print(
        "| split | n | best single (quality, $) | ours (price weight) | ours (threshold sweep) | heuristic | "
        "heuristic_v2 | length | random | always-cheapest | ours saves vs best baseline |"
    )
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

        def fmt(c, singles=singles, best_m=best_m):
            return "not reached" if c is None else f"${c:.2f} ({c / singles[best_m][0]:.0%})"

        base_best = [costs[b] for b in BASELINES if costs[b] is not None]
        ours_best = (
            min(c for c in (costs["ours (price weight)"], costs["ours (threshold sweep)"]) if c is not None)
            if any(costs[k] is not None for k in ("ours (price weight)", "ours (threshold sweep)"))
            else None
        )
        saving = (
            "n/a"
            if ours_best is None or not base_best
            else f"{(min(base_best) - ours_best) / singles[best_m][0]:+.1%} of best-single cost"
        )
        print(
            f"| {name} | {len(its)} | {short(best_m)} {target:.3f}, ${singles[best_m][0]:.2f} | "
            + " | ".join(fmt(costs[k]) for k in ["ours (price weight)", "ours (threshold sweep)"] + BASELINES)
            + f" | {cheap_q:.3f} at ${cheap_c:.2f} | {saving} |"
        )
        plot_data[name] = (curves, singles, op)

    print(
        "\nMean quality over 25 budgets, log-spaced from the cheapest model's cost to the best single model's "
        "(each router at its best point within the budget; the area under the curves in the plot):\n"
    )
    names = ["ours (price weight)", "ours (threshold sweep)"] + BASELINES
    print("| split | " + " | ".join(names) + " | ours (price weight) - best baseline |")
    print("|" + "---|" * (len(names) + 2))
    for name, (curves, singles, _) in plot_data.items():
        lo = min(c for c, _ in singles.values())
        hi = max(singles.values(), key=lambda cq: (cq[1], -cq[0]))[0]
        budgets = [lo * (hi / lo) ** (k / 24) for k in range(25)]
        mean_q = {k: statistics.fmean(quality_at(curves[k], b) or 0.0 for b in budgets) for k in names}
        best_b = max(mean_q[b] for b in BASELINES)
        print(
            f"| {name} | "
            + " | ".join(f"{mean_q[k]:.3f}" for k in names)
            + f" | {mean_q['ours (price weight)'] - best_b:+.3f} |"
        )

    print(
        "\nOurs on all three RouterBench test sets, by price weight (the product's policy: highest p_success "
        "- weight x cost / the strongest's cost), and the tolerance rule it replaced (cheapest deployment with p_success >= "
        "max - tol), side by side:\n"
    )
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
    styles = {
        "ours (price weight)": ("C3", "-", 2.2),
        "ours (threshold sweep)": ("C1", "--", 1.6),
        "heuristic": ("C0", "-", 1.2),
        "heuristic_v2": ("C2", "-", 1.2),
        "length": ("C4", ":", 1.2),
        "random": ("grey", ":", 1.0),
    }
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
    everything_test = [it for it in items if it.split == "test"]
    prompts = [it.text for it in rnd.sample(everything_test, 1500)]
    long_prompt = build_long_prompt(everything_test)
    print(
        f"\n### Per-prompt latency, in process ({len(prompts)} test prompts, median length "
        f"{int(statistics.median(len(p) for p in prompts))} chars; long prompt {len(long_prompt)} chars)\n"
    )
    from litellm_fusion.adapter.routing.routing_hook import RoutingHook
    from litellm_fusion.config.routing import GroupRouting

    ours_fn = dm.estimate
    ours_msgs = lambda p: dm.estimate(request_text([{"role": "user", "content": p}]))
    group = [
        {
            "model_name": "auto",
            "litellm_params": {"model": f"openai/{m}"},
            "model_info": {"id": m, "input_cost_per_token": c, "output_cost_per_token": 4 * c, "strength": st},
        }
        for m, c, st in (("cheap", 1.5e-7, 1.8), ("mid", 2e-6, 2.7), ("strong", 1e-5, 3.2))
    ]
    hook = RoutingHook({"auto": GroupRouting()})

    def whole(p: str) -> None:
        hook.filter("auto", group, [{"role": "user", "content": p}], {"metadata": {}})

    heur_fn = v1.classify
    for fn in (ours_fn, heur_fn):  # warm-up
        for p in prompts[:100]:
            fn(p)
    print("| classifier | p50 µs | p99 µs | long prompt p50 µs | long prompt p99 µs |")
    print("|---|---|---|---|---|")
    for label, fn in [
        ("ours: DifficultyModel.estimate(text)", ours_fn),
        ("ours incl. request_text(messages)", ours_msgs),
        ("ours: whole routing decision (RoutingHook.filter, 3 deployments)", whole),
        ("LiteLLM heuristic ComplexityRouter.classify()", heur_fn),
    ]:
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
    return s[min(len(s) - 1, math.ceil(q / 100 * len(s)) - 1)]


if __name__ == "__main__":
    main()
