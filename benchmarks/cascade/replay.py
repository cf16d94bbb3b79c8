"""Cascades measured through a real LiteLLM proxy on recorded answers (issue 11, "Measured, not asserted").

    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python -m benchmarks cascade replay                # core configs
    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python -m benchmarks cascade replay --all-configs  # every one

The replay harness (benchmarks/harness/replay.py) answers each (deployment, prompt) with the answer that
model really gave (RouterBench's recorded cost billed exactly; MMLU-Pro priced from LiteLLM's cost map). A real `litellm` proxy with the plugin serves `fusion/cascade` models and plain
deployments; the openai client sends every test prompt of every split: RouterBench ARC-Challenge, MBPP,
Winogrande (upstream test files) and MMLU-Pro (question ids whose sha256 mod 5 == 0). Quality = recorded
correctness of the deployment whose answer the proxy returned (`x-litellm-fusion-winner`, checked against the
text); cost = `x-litellm-response-cost`, what LiteLLM billed.

Every configuration is chosen on the TRAIN prompts (sim.select). By default the proxy runs the core
two per split (the best within 50% of the strongest deployment's cost on train, and the best 3-tier one within
50%) and their classifier-skip variants (`skip_tiers`, target chosen on train; --no-skip leaves them out);
--all-configs adds the cheapest reaching 98% of the strongest on train and the best within 10 and 25%. Every
deployment carries model_info.strength (the artifact's fitted strength, what skip_tiers compares). A family of
configurations (the best on train within each of 48 budgets; and again with skip variants competing) is also
scored on test by the offline simulation, which mirrors the product's acceptance and skip rules and is checked
per prompt against the proxy (same start tier, same answering tier).
Side by side on the same prompts, offline (baselines.py): every single deployment, the product's
prompt-only router over its price weight, LiteLLM's heuristic ComplexityRouter (tiers mapped onto the pool;
score thresholds between frontier deployments, chosen on train per budget), the per-prompt oracle.
Writes benchmarks/cascade_quality_cost.png and prints markdown tables.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from tests.support.proxy_harness import ProxyProcess

from ..harness import replay
from ..harness.paths import BENCHMARKS, DATA, REPO
from . import baselines as cb
from . import sim as cs

BILLING_CHECK = 50  # plain requests per deployment checking that the proxy bills the recorded cost


@dataclass
class Split(replay.ReplaySplit):
    strongest: str = ""
    cascades: list[cs.Cascade] = field(default_factory=list)  # run through the proxy
    curve: list[cs.Cascade] = field(default_factory=list)  # simulated offline (chosen on train too)
    curve_skip: list[cs.Cascade] = field(default_factory=list)  # the same, classifier-skip variants allowed
    skip: dict[cs.Cascade, cs.Cascade | None] = field(default_factory=dict)  # core config -> chosen skip variant
    strengths: dict[str, float] = field(default_factory=dict)  # model_info.strength of each deployment


@dataclass
class Outcome:
    """One request through the proxy."""

    cost: float
    score: float
    answered_by: str | None  # deployment whose recorded answer was returned
    tier: str | None
    accepted_by: str | None
    escalations: str | None
    error: str | None = None

    @classmethod
    def of(cls, r: replay.Reply) -> Outcome:
        h = r.headers
        tier, accepted_by = h.get("x-litellm-fusion-tier"), h.get("x-litellm-fusion-accepted-by")
        return cls(r.cost, r.score, r.answered_by, tier, accepted_by, h.get("x-litellm-fusion-escalations"), r.error)

    @property
    def start(self) -> int:
        """The tier the cascade started at: 1 + the tiers the classifier skipped (x-litellm-fusion-escalations
        lists them as "<tier>: classifier: predicted success ...")."""
        skipped = [
            int(part.split(":", 1)[0])
            for part in (self.escalations or "").split("; ")
            if part.split(": ", 1)[-1].startswith("classifier:")
        ]
        return max(skipped, default=0) + 1


def load(data: Path, names: list[str]) -> list[Split]:
    return [Split(**vars(s)) for s in replay.load_splits(data, names)]


def cascade_name(split: Split, i: int) -> str:
    return f"cascade/{split.name.replace('/', '-')}/{i}"


def proxy_config(splits: list[Split], url: str) -> dict:
    names = sorted({m for s in splits for m in s.pool})
    strengths = {m: v for s in splits for m, v in s.strengths.items()}
    models = replay.deployments(names, url, strengths)
    for s in splits:
        for i, c in enumerate(s.cascades):
            models.append({"model_name": cascade_name(s, i), "litellm_params": c.litellm_params()})
    return {
        "model_list": models,
        "router_settings": {"num_retries": 0, "timeout": 120},
        "litellm_settings": replay.WIRING,
    }


async def run_system(client, model: str, prompts: list[replay.Prompt], deployments: list[str]) -> list[Outcome]:
    return [Outcome.of(r) for r in await replay.ask_all(client, model, prompts, deployments)]


async def run_all(proxy: ProxyProcess, splits: list[Split]) -> dict[tuple[str, str], list[Outcome]]:
    import openai

    client = openai.AsyncOpenAI(base_url=proxy.base_url, api_key=proxy.master_key, max_retries=0, timeout=180)
    out = {}
    for s in splits:
        cheapest = min(s.pool, key=lambda m: cb.mean_costs(s.train, s.pool)[m])
        systems = {
            f"always {cheapest}": (cheapest, [cheapest], s.test[:BILLING_CHECK]),
            f"always {s.strongest}": (s.strongest, [s.strongest], s.test[:BILLING_CHECK]),
        }
        for i, c in enumerate(s.cascades):
            systems[c.name] = (cascade_name(s, i), [m for tier in c.tiers for m in tier], s.test)
        for label, (model, deployments, prompts) in systems.items():
            t0 = time.perf_counter()
            out[(s.name, label)] = await run_system(client, model, prompts, deployments)
            print(f"  {s.name}: {label}: {len(prompts)} requests in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    await client.close()
    return out


# ---------------------------------------------------------------- reporting
def summary(outcomes: list[Outcome]) -> tuple[float, float]:
    return sum(o.cost for o in outcomes), sum(o.score for o in outcomes) / len(outcomes)


def cost_check(s: Split, label: str, model: str, outcomes: list[Outcome]) -> str:
    """Billed vs recorded/priced cost of a plain deployment, per request."""
    diffs = [abs(o.cost - p.answers[model].cost) for o, p in zip(outcomes, s.test)]
    exact = sum(o.cost == p.answers[model].cost for o, p in zip(outcomes, s.test))
    return f"{s.name} {label}: billed == recorded on {exact}/{len(diffs)} requests, max |difference| ${max(diffs):.2e}"


def row(label: str, how: str, c: float, q: float, top: tuple[float, float], note: str = "") -> str:
    return f"| {label} | {how} | {q:.3f} | {q / top[1]:.1%} | {c:.3f} | {c / top[0]:.1%} | {note} |"


def report(splits: list[Split], results: dict, plot_path: Path) -> None:
    curves_by_split = {}
    rules = cs.product_rules()
    print("## Cascades through the real proxy vs baselines (test prompts)\n")
    for s in splits:
        single = cs.singles(s.test, s.pool)
        top = single[s.strongest]
        cheapest = min(s.pool, key=lambda m: cb.mean_costs(s.train, s.pool)[m])
        product_router = cb.ProductRouter(s.train, s.pool)
        router = product_router.points(s.test)
        router_train_chosen = product_router.chosen_on_train(s.train, s.test, cs.CURVE_BUDGETS, s.strongest)
        tier_point, heur_sweep = cb.litellm_points(s.train, s.test, cb.frontier(s.train, s.pool), cs.CURVE_BUDGETS)
        oracle = cb.oracle(s.test, s.pool)
        sim = cs.Simulator(s.test, s.pool, rules, s.strengths)
        print(
            f"### {s.name}: {len(s.test)} test prompts ({s.dropped} dropped: a deployment of the pool has no "
            f"record); strongest = {s.strongest}, chosen on train\n"
        )
        if s.name.endswith("(router held-out)"):
            print(
                "The MMLU-Pro test questions that the shipped router's artifact also held out (its training split "
                "is scripts/router_data.py's, not the question-id rule): the cascade outcomes are the same "
                "proxy requests as above, on this subset.\n"
            )
        print("| system | measured | quality | % of strongest's quality | cost $ | % of strongest's cost | notes |")
        print("|---|---|---|---|---|---|---|")
        for m in (cheapest, s.strongest):
            print(row(f"always {m}", "recorded", *single[m], top, "cheapest" if m == cheapest else "strongest"))
        cascade_pts = {}
        tier1 = {}
        for c in s.cascades:
            outs = results[(s.name, c.name)]
            cost, q = summary(outs)
            cascade_pts[c.name] = (cost, q)
            tier1[c.name] = sum(o.tier == "1" for o in outs) / len(outs)
            tiers = Counter(o.tier for o in outs)
            predicted = sim.run(c)
            same = sum(
                str(t) == o.tier and st == o.start for t, st, o in zip(predicted.tier_of, predicted.start_of, outs)
            )
            errors = sum(o.error is not None for o in outs)
            started = sum(o.start > 1 for o in outs) / len(outs)
            note = (
                "answered at tier "
                + ", ".join(f"{t}: {n / len(outs):.0%}" for t, n in sorted(tiers.items(), key=str))
                + (f"; classifier skipped tier 1 for {started:.0%}" if c.skip is not None else "")
                + f"; offline simulation: same {'start and ' if c.skip is not None else ''}tier on "
                f"{same / len(outs):.1%}, {predicted.quality:.3f} at {predicted.cost / top[0]:.1%}"
                + (f"; **{errors} errors**" if errors else "")
            )
            print(row(f"cascade {c.name}", "proxy", cost, q, top, note))
        for label, pts in (
            ("product router", [pt for _, pt in router]),
            ("LiteLLM heuristic (thresholds)", heur_sweep),
        ):
            env = cb.envelope(pts + list(single.values()))
            best = max((pt for pt in env if pt[0] <= 0.5 * top[0]), key=lambda pt: pt[1])
            reach = cb.cost_to_reach(env, 0.98 * top[1])
            print(
                row(
                    f"{label}, best within 50% of strongest's cost",
                    "offline",
                    *best,
                    top,
                    "98% of strongest's quality "
                    + (f"first at {reach / top[0]:.0%} of its cost" if reach else "never reached"),
                )
            )
        print(row("LiteLLM heuristic, tiers mapped", "offline", *tier_point, top))
        print(row("oracle (cheapest right deployment)", "offline", *oracle, top))
        hit = [(lbl, c, q) for lbl, (c, q) in cascade_pts.items() if q >= 0.98 * top[1] and c <= 0.5 * top[0]]
        real = [h for h in hit if tier1[h[0]] > 0]

        def listed(items, top=top, tier1=tier1) -> str:
            return "; ".join(
                f"{lbl} ({q / top[1]:.1%} at {c / top[0]:.1%}, {tier1[lbl]:.0%} accepted at tier 1)"
                for lbl, c, q in items
            )

        print(
            "\nTarget (>= 98% of strongest's quality at <= 50% of its cost): "
            + (
                f"**met** by {listed(real)}"
                if real
                else f"**not met by an answer-driven decision**: only {listed(hit)}, whose first tier never accepts "
                "(the last tier alone is that good here)"
                if hit
                else "**not met**"
            )
        )
        simulated = {}
        for c in s.curve:
            r = sim.run(c)
            simulated[c.name] = (r.cost, r.quality)
        with_skip = [(r.cost, r.quality) for r in map(sim.run, s.curve_skip)]
        curves = {
            "cascade (proxy)": list(cascade_pts.values()),
            "cascade family (simulated)": list(simulated.values()),
            "cascade family with classifier skip (simulated)": with_skip,
            "product router": [pt for _, pt in router],
            "product router (weight chosen on train)": router_train_chosen,
            "LiteLLM heuristic (thresholds)": heur_sweep,
        }
        print(
            "\nSimulated family (the best train configuration within each budget, scored on test): "
            + "; ".join(f"{name} {q:.3f} at {c / top[0]:.1%}" for name, (c, q) in simulated.items())
        )
        comparison(single, top, curves)
        skip_table(s, sim, results, top)
        curves_by_split[s.name] = (single, curves, tier_point, oracle, s.strongest)
    plot(curves_by_split, plot_path)


def skip_table(s: Split, sim: cs.Simulator, results: dict, top: tuple[float, float]) -> None:
    """Classifier skip vs the same cascade without it, on the test prompts: proxy outcomes where the proxy ran
    both, else the simulation (labelled)."""
    pairs = [(base, v) for base, v in s.skip.items()]
    pairs += [(v.with_skip(None), v) for v in s.cascades if v.skip is not None and v not in s.skip.values()]
    if not pairs:
        return
    print(
        "\nClassifier skip (`skip_tiers`) vs the same cascade without it (target chosen on train: the one saving "
        "the most rounds at no more train cost and at most "
        f"{cs.SKIP_TOLERANCE:g} less train quality; *check* = not chosen, run to compare product and simulation):\n"
    )
    print(
        "| cascade | skip target | measured | started past tier 1 | quality (without → with) | cost % of strongest "
        "(without → with) | mean tiers run one after another | skipped a tier 1 that would have accepted | "
        "skipped a tier 1 that would have escalated |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for base, v in pairs:
        if v is None:
            print(f"| {base.name} | none qualifies on train | - | - | - | - | - | - | - |")
            continue
        b, r = sim.run(base), sim.run(v)
        label = "chosen" if s.skip.get(base) == v else "check"
        key_b, key_v = (s.name, base.name), (s.name, v.name)
        if key_b in results and key_v in results:
            ob, ov = results[key_b], results[key_v]
            how = "proxy"
            qb, cb_ = summary(ob)[1], summary(ob)[0]
            qv, cv = summary(ov)[1], summary(ov)[0]
            started = [o.start for o in ov]
            rounds_b = sum(int(o.tier or 0) for o in ob) / len(ob)
            rounds_v = sum(int(o.tier or 0) - o.start + 1 for o in ov) / len(ov)
            base_tier = [int(o.tier or 0) for o in ob]
        else:
            how = "simulated"
            qb, cb_, qv, cv = b.quality, b.cost, r.quality, r.cost
            started, rounds_b, rounds_v, base_tier = r.start_of, b.rounds, r.rounds, b.tier_of
        n = len(started)
        lost = sum(st > 1 and t == 1 for st, t in zip(started, base_tier)) / n
        saved = sum(st > 1 and t > 1 for st, t in zip(started, base_tier)) / n
        print(
            f"| {base.name} | p < {v.skip:g} ({label}) | {how} | {sum(st > 1 for st in started) / n:.0%} | "
            f"{qb:.3f} → {qv:.3f} ({qv - qb:+.3f}) | {cb_ / top[0]:.1%} → {cv / top[0]:.1%} | {rounds_b:.2f} → "
            f"{rounds_v:.2f} | {lost:.0%} | {saved:.0%} |"
        )
    print()


def comparison(single: dict, top: tuple[float, float], curves: dict[str, list]) -> None:
    """Each curve's envelope vs the product router's (every price weight, on test: the router at its best) at
    budgets log-spaced from the cheapest single deployment's cost to the strongest's; every envelope includes the single deployments (one model is a trivial cascade
    and a trivial route). A cascade costs at least its first tier, so below the cheapest cascade only single
    deployments compete: the table also counts the budgets from the cheapest cascade up."""
    singles_pts = list(single.values())
    env = {k: cb.envelope(v + singles_pts) for k, v in curves.items()}
    budgets = cb.budgets(min(c for c, _ in singles_pts), top[0])
    at = {k: [cb.quality_at(e, b) for b in budgets] for k, e in env.items()}
    router = at["product router"]
    cascades = curves["cascade (proxy)"] + curves["cascade family (simulated)"]
    start = min(c for c, _ in cascades) if cascades else top[0]
    print(
        f"\nQuality-vs-cost curves at {len(budgets)} budgets, log-spaced from the cheapest deployment's cost to the "
        "strongest's (each curve at its best point within the budget); in brackets: only the budgets from the "
        f"cheapest cascade's cost (${start:.3f}) up:\n"
    )
    print("| curve | above the product router | level | below (largest gap) | mean quality over the budgets |")
    print("|---|---|---|---|---|")
    for k, qs in at.items():
        if k == "product router":
            print(f"| {k} | - | - | - | {sum(qs) / len(qs):.3f} |")
            continue
        cells = []
        for sel in (range(len(budgets)), [i for i, b in enumerate(budgets) if b >= start]):
            above = sum(qs[i] > router[i] + 1e-9 for i in sel)
            below = [router[i] - qs[i] for i in sel if qs[i] < router[i] - 1e-9]
            cells.append((above, len(sel) - above - len(below), len(below), max(below, default=0.0)))
        (a, lv, b, gap), (a2, lv2, b2, gap2) = cells
        print(f"| {k} | {a} ({a2}) | {lv} ({lv2}) | {b} ({b2}); {gap:.3f} ({gap2:.3f}) | {sum(qs) / len(qs):.3f} |")
    print()
    for k in (k for k in at if k.startswith("cascade family")):
        below = [
            f"{b / top[0]:.1%} ({at[k][i]:.3f} vs {router[i]:.3f})"
            for i, b in enumerate(budgets)
            if at[k][i] < router[i] - 1e-9
        ]
        print(f"{k} below the product router at: " + (", ".join(below) or "no budget") + "\n")


def plot(curves_by_split: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    styles = {
        "product router": ("C3", "-"),
        "product router (weight chosen on train)": ("C3", ":"),
        "LiteLLM heuristic (thresholds)": ("C0", "--"),
        "cascade family (simulated)": ("C2", ":"),
        "cascade (proxy)": ("C2", "-"),
        "cascade family with classifier skip (simulated)": ("C1", ":"),
    }
    cols = min(2, len(curves_by_split))
    rows = (len(curves_by_split) + cols - 1) // cols
    fig, grid = plt.subplots(rows, cols, figsize=(6.2 * cols, 4.8 * rows), squeeze=False)
    axes = [ax for line in grid for ax in line]
    for ax, (name, (single, curves, tier_point, oracle, strongest)) in zip(axes, curves_by_split.items()):
        singles_pts = list(single.values())
        for label, pts in curves.items():
            env = cb.envelope(pts + singles_pts)
            color, ls = styles[label]
            ax.step([c for c, _ in env], [q for _, q in env], where="post", color=color, ls=ls, label=label)
        proxy_pts = curves["cascade (proxy)"]
        ax.scatter([c for c, _ in proxy_pts], [q for _, q in proxy_pts], color="C2", zorder=3, s=22)
        for m, (c, q) in single.items():
            ax.scatter([c], [q], color="black", s=10)
            ax.annotate(m.split("-", 1)[1][:12], (c, q), fontsize=6)
        ax.scatter([tier_point[0]], [tier_point[1]], marker="s", color="C0", label="LiteLLM heuristic (tiers)")
        ax.scatter([oracle[0]], [oracle[1]], marker="*", s=80, color="gold", edgecolor="black", label="oracle")
        top_c, top_q = single[strongest]
        ax.axhline(0.98 * top_q, color="grey", lw=0.6, ls=":")
        ax.axvline(0.5 * top_c, color="grey", lw=0.6, ls=":")
        ax.set_xscale("log")
        ax.set_title(f"{name} (test)")
        ax.set_xlabel("total cost of the split, USD (log)")
        ax.set_ylabel("quality")
    for ax in axes[len(curves_by_split) :]:
        ax.axis("off")
    axes[0].legend(fontsize=6.5, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot: {os.path.relpath(path, REPO)}")


def run_proxy(splits: list[Split]) -> dict[tuple[str, str], list[Outcome]]:
    prompts = [p for s in splits for p in s.test]
    with replay.serve(prompts, lambda url: proxy_config(splits, url)) as proxy:
        return asyncio.run(run_all(proxy, splits))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--splits", nargs="+", default=list(replay.ALL_SPLITS))
    ap.add_argument("--plot", type=Path, default=BENCHMARKS / "cascade_quality_cost.png")
    ap.add_argument(
        "--all-configs",
        action="store_true",
        help="run every selected configuration through the proxy (default: the core two per split)",
    )
    ap.add_argument("--limit", type=int, default=0, help="only the first N test prompts per split (smoke run)")
    ap.add_argument("--dump", type=Path, help="write every request's outcome here (JSON)")
    ap.add_argument("--from-dump", type=Path, help="report the outcomes of an earlier run (no proxy)")
    ap.add_argument("--no-cascades", action="store_true", help="plain deployments only (checks the replay)")
    ap.add_argument(
        "--no-skip", action="store_true", help="do not run the classifier-skip (skip_tiers) variants through the proxy"
    )
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    splits = load(args.data, args.splits)
    rules = cs.product_rules()
    for s in splits:
        s.strengths = cb.deployment_strengths(s.train, s.pool)
        chosen = cs.select(s.train, s.pool, rules, s.strengths)
        s.strongest, s.curve, s.curve_skip, s.skip = chosen.strongest, chosen.curve, chosen.curve_skip, chosen.skip
        s.cascades = [] if args.no_cascades else chosen.proxy if args.all_configs or args.from_dump else chosen.core
        if not (args.no_cascades or args.no_skip):
            s.cascades = s.cascades + chosen.skip_check
        if args.limit:
            s.test = s.test[: args.limit]
        print(
            f"{s.name}: cascades chosen on {len(s.train)} train prompts: " + "; ".join(c.name for c in s.cascades),
            file=sys.stderr,
        )
    if args.from_dump:
        raw = json.loads(args.from_dump.read_text())
        results = {tuple(k.split(" | ", 1)): [Outcome(**o) for o in v] for k, v in raw.items()}
        for s in splits:  # report the configurations the dump has
            s.cascades = [c for c in s.cascades if (s.name, c.name) in results]
    else:
        results = run_proxy(splits)
    print(f"replay run: {time.perf_counter() - t0:.0f}s in all\n", file=sys.stderr)
    if args.dump:
        args.dump.write_text(json.dumps({f"{k[0]} | {k[1]}": [o.__dict__ for o in v] for k, v in results.items()}))
    print(
        "Billed cost of the plain deployments vs the record (RouterBench: recorded cost; MMLU-Pro: tokens x price):\n"
    )
    for (name, label), outs in results.items():
        if label.startswith("always "):
            s = next(x for x in splits if x.name == name)
            print("- " + cost_check(s, label, label.removeprefix("always "), outs))
    print()
    report(splits + router_clean(args.data, splits, results), results, args.plot)


def router_clean(data: Path, splits: list[Split], results: dict) -> list[Split]:
    """MMLU-Pro restricted to the questions the shipped router never trained on (its own split differs from
    this benchmark's), with the proxy's outcomes on them: the fair place to compare against the router."""
    out = []
    for s in splits:
        if s.name != "mmlu_pro":
            continue
        keep = [i for i, held in enumerate(cb.held_out_by_router(data, s.test)) if held]
        sub = replace(s, name=f"{s.name} (router held-out)", test=[s.test[i] for i in keep])
        for (name, label), outs in list(results.items()):
            if name == s.name and not label.startswith("always "):
                results[(sub.name, label)] = [outs[i] for i in keep]
        out.append(sub)
    return out


if __name__ == "__main__":
    main()
