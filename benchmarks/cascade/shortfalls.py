"""Why cascades fall short where they do (issue 11, point 3), from the recorded answers (offline, ~2 min):

    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python -m benchmarks cascade shortfalls

1. The cheap end of the curve: how often a cheap tier agrees, how often its agreed answer is right, and how often
   the deployment a cheap cascade would end at is right on those same prompts (a tier is worth accepting only
   where its agreement beats the later deployment), with the tier's cost next to that deployment's.
2. Winogrande: the most accurate agreeing tier that accepts at least half the prompts (what a cascade within 50%
   of gpt-4's cost needs), against gpt-4 on the same prompts; how correlated the cheap models' errors are.
3. Classifier skip: the spread of the shipped classifier's predicted success for the strongest model of the
   core configurations' first tier, and that model's accuracy on the quarter of prompts predicted worst vs best
   (skipping a tier pays only if the prompts it skips are ones the tier would fail).
4. MBPP: whether code answers could agree under a stricter-than-text rule: the first fenced (or bare) Python
   code with functions, parsed, docstrings and annotations dropped and every name renamed by first use
   (`canonical_code`). Then the train-chosen cascades with that rule standing in for the product's agreement.
   This rule is an experiment here, not the product's normaliser (see RESULTS.md).

Agreement elsewhere is the product's own (engine/answers.py via sim.product_rules); every number is on
the split named, test unless it says train.
"""

from __future__ import annotations

import argparse
import ast
import itertools
import re
from pathlib import Path

from ..harness import replay
from ..harness.paths import DATA
from . import replay as cr
from . import sim as cs

CHEAP_END = {  # split -> [(tier 1, the deployments a cheap cascade ends at)]: the cheapest tiers of each family
    "rb/arc_challenge": [
        (("rb-mistral-7b", "rb-wizardlm-13b"), ("rb-mixtral-8x7b", "rb-yi-34b")),
        (("rb-mistral-7b", "rb-mixtral-8x7b"), ("rb-yi-34b",)),
    ],
    "rb/winograde": [(("rb-mistral-7b", "rb-wizardlm-13b"), ("rb-mixtral-8x7b", "rb-yi-34b"))],
    "mmlu_pro": [
        (("mp-phi-3-mini", "mp-llama-8b"), ("mp-gemini-flash",)),
        (("mp-deepseek", "mp-llama-70b"), ("mp-gemini-flash",)),
    ],
}
SKIP_MODEL = {
    "rb/arc_challenge": "rb-yi-34b",
    "rb/winograde": "rb-yi-34b",
    "rb/mbpp": "rb-mixtral-8x7b",
    "mmlu_pro": "mp-gemini-pro",
}  # the strongest member of the core configurations' first tier
FENCE = re.compile(r"```[A-Za-z0-9_+-]*\n(.*?)```", re.DOTALL)


class _Canon(ast.NodeTransformer):
    """Names renamed in order of first use; docstrings and annotations dropped."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def _name(self, name: str) -> str:
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self._name(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg, node.annotation = self._name(node.arg), None
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        node.name, node.returns = self._name(node.name), None
        first = node.body[0] if node.body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            node.body = node.body[1:] or [ast.Pass()]
        self.generic_visit(node)
        return node


def canonical_code(text: str) -> str | None:
    """The canonical form of the answer's first parseable Python code defining functions or classes."""
    for block in FENCE.findall(text) or [text]:
        try:
            tree = ast.parse(block)
        except SyntaxError:
            continue
        defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
        if defs:
            return ast.dump(_Canon().visit(ast.Module(body=defs, type_ignores=[])))
    return None


def cheap_end(s: cr.Split, sim: cs.Simulator) -> None:
    top = sim.cost[:, sim.index[s.strongest]].sum()
    for tier, lasts in CHEAP_END.get(s.name, []):
        ok, _, cost, score = sim.decide(tuple(sim.index[m] for m in tier), len(tier))
        parts = [
            f"{m} right {sim.score[ok, sim.index[m]].mean():.3f} on them (alone: {sim.score[:, sim.index[m]].mean():.3f} "
            f"at {sim.cost[:, sim.index[m]].sum() / top:.1%})"
            for m in lasts
        ]
        print(
            f"- {s.name}: [{' + '.join(tier)}] costs {cost.sum() / top:.1%} of {s.strongest}, agrees on {ok.mean():.0%} "
            f"of prompts, right {score[ok].mean():.3f} there; " + "; ".join(parts)
        )


def winogrande(s: cr.Split, train: cs.Simulator, test: cs.Simulator) -> None:
    single = cs.singles(s.train, s.pool)
    cheap = [m for m in s.pool if m != s.strongest and single[m][0] < 0.3 * single[s.strongest][0]]
    g = test.index[s.strongest]
    for label, sim in (("train", train), ("test", test)):
        best = None
        for n in (2, 3):
            for tier in itertools.combinations(cheap, n):
                ok, _, _, score = sim.decide(tuple(sim.index[m] for m in tier), n)
                if ok.mean() >= 0.5 and (best is None or score[ok].mean() > best[0]):
                    best = (score[ok].mean(), tier, ok.mean(), sim.score[ok, g].mean())
        assert best is not None
        q, tier, share, strong = best
        print(
            f"- {s.name} {label}: most accurate agreeing tier accepting >= 50%: [{' + '.join(tier)}] accepts "
            f"{share:.0%}, right {q:.3f} there; {s.strongest} on the same prompts {strong:.3f} "
            f"(overall {sim.score[:, g].mean():.3f})"
        )
    a, b = test.index["rb-mixtral-8x7b"], test.index["rb-yi-34b"]
    wa, wb = test.score[:, a] < 0.5, test.score[:, b] < 0.5
    print(
        f"- {s.name} test: mixtral-8x7b wrong on {wa.mean():.1%}, yi-34b on {wb.mean():.1%}, both on "
        f"{(wa & wb).mean():.1%} (if independent: {wa.mean() * wb.mean():.1%}); both wrong with the same answer "
        f"{(wa & wb & test.pairs[:, a, b]).mean():.1%}"
    )


def mbpp(s: cr.Split, rules: tuple[cs.Agree, cs.Usable]) -> None:
    sims = {}
    for label, prompts in (("train", s.train), ("test", s.test)):
        sim = cs.Simulator(prompts, s.pool, rules)
        same = n_pairs = both_right = both_wrong = text_same = 0
        for i, p in enumerate(prompts):
            code = [canonical_code(p.answers[m].text) for m in s.pool]
            for a, b in itertools.combinations(range(len(s.pool)), 2):
                n_pairs += 1
                text_same += bool(sim.pairs[i, a, b])
                hit = code[a] is not None and code[a] == code[b]
                sim.pairs[i, a, b] = sim.pairs[i, b, a] = hit
                if hit:
                    same += 1
                    ra, rb = p.answers[s.pool[a]].score >= 0.5, p.answers[s.pool[b]].score >= 0.5
                    both_right += ra and rb
                    both_wrong += not ra and not rb
        sim._tiers = {}
        sims[label] = sim
        print(
            f"- {s.name} {label}: answer pairs agreeing under the product's rules {text_same}/{n_pairs}; with the "
            f"same canonical code {same} ({same / n_pairs:.1%}): both right {both_right}, both wrong {both_wrong}"
        )
    single_tr, single_te = cs.singles(s.train, s.pool), cs.singles(s.test, s.pool)
    results = {c: sims["train"].run(c) for c in cs.candidates(s.pool, s.strongest, single_tr)}
    (top_c, top_q), (test_c, test_q) = single_tr[s.strongest], single_te[s.strongest]
    for share in (0.1, 0.5):
        within = [c for c in results if results[c].cost <= share * top_c]
        best = max(within, key=lambda c: (results[c].quality, -results[c].cost))
        r = sims["test"].run(best)
        print(
            f"- {s.name}, canonical-code agreement, best within {share:.0%} on train: {best.name}: train "
            f"{results[best].quality / top_q:.1%} at {results[best].cost / top_c:.1%}; test {r.quality / test_q:.1%} "
            f"at {r.cost / test_c:.1%}, accepted at tier 1: {r.tier_share[0]:.0%}"
        )


def skip_spread(s: cr.Split) -> None:
    import numpy as np

    from . import baselines as cb

    model = SKIP_MODEL[s.name]
    sim = cs.Simulator(s.test, [model], cs.product_rules(), cb.deployment_strengths(s.train, s.pool))
    strength = sim.strengths[model]  # type: ignore[index]
    p = np.array([e.p_success(strength) for e in sim.estimates()])
    right = sim.score[:, 0]
    low, high = p <= np.quantile(p, 0.25), p >= np.quantile(p, 0.75)
    q10, q50, q90 = np.quantile(p, [0.1, 0.5, 0.9])
    print(
        f"- {s.name}: predicted success of {model} (strength {strength:.2f}): 10/50/90% quantiles {q10:.2f} / {q50:.2f} / "
        f"{q90:.2f}; right on the quarter predicted worst {right[low].mean():.3f}, on the quarter predicted best "
        f"{right[high].mean():.3f} (all: {right.mean():.3f})"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args(argv)
    rules = cs.product_rules()
    for s in cr.load(args.data, list(replay.ALL_SPLITS)):
        single = cs.singles(s.train, s.pool)
        s.strongest = max(s.pool, key=lambda m: (single[m][1], -single[m][0]))
        skip_spread(s)
        if s.name == "rb/mbpp":
            mbpp(s, rules)
            continue
        test = cs.Simulator(s.test, s.pool, rules)
        cheap_end(s, test)
        if s.name == "rb/winograde":
            winogrande(s, cs.Simulator(s.train, s.pool, rules), test)


if __name__ == "__main__":
    main()
