"""Cascade configurations and an offline simulation of them on recorded answers, used only to CHOOSE which
configurations the real proxy runs (on the train split) and to cross-check the proxy's decisions.

The numbers reported for the cascade come from the real proxy (cascade_replay.py), never from here.
Agreement is decided by the product's own normaliser (`litellm_fusion.engine.answers` once it exists,
else `engine.agreement`), so the simulation and the product disagree only where the cascade's other
checks (refusal, empty, length) fire.
"""

from __future__ import annotations

import itertools
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "support"))

from replay_data import Prompt  # noqa: E402

Agree = Callable[[Sequence[str]], bool]  # do these answers agree (all of them)?


@dataclass(frozen=True)
class Cascade:
    tiers: tuple[tuple[str, ...], ...]  # deployment names, cheapest tier first
    k: tuple[int, ...]  # answers that must agree, per tier but the last (== tier size: "all")

    @property
    def name(self) -> str:
        parts = []
        for i, tier in enumerate(self.tiers):
            members = "+".join(m.split("-", 1)[1] for m in tier)
            agree = "" if i == len(self.tiers) - 1 or self.k[i] == len(tier) else f" (k={self.k[i]})"
            parts.append(f"[{members}]{agree}")
        return " > ".join(parts)

    def litellm_params(self) -> dict:
        """The model_list entry's litellm_params (cascade_spec.md)."""
        tiers: list = []
        for i, tier in enumerate(self.tiers):
            last = i == len(self.tiers) - 1
            if last or self.k[i] == len(tier):
                tiers.append(list(tier))
            else:
                tiers.append({"models": list(tier), "accept": {"agreement": self.k[i]}})
        return {"model": "fusion/cascade", "tiers": tiers, "accept": {"agreement": "all"}}


def product_agree() -> Agree:
    """All-answers agreement under the product's normaliser."""
    try:
        from litellm_fusion.engine import answers  # type: ignore[attr-defined]

        return answers_agree(answers)
    except ImportError:
        from litellm_fusion.engine.agreement import agreement
        from litellm_fusion.engine.types import Candidate

        return lambda texts: agreement([Candidate(i, "m", t) for i, t in enumerate(texts)]) is not None


def answers_agree(answers_module) -> Agree:  # filled in when engine/answers.py lands (its public interface)
    raise ImportError


@dataclass
class SimResult:
    cost: float
    quality: float
    tier_share: list[float]  # share of prompts answered at each tier


class Simulator:
    """Vectorised over prompts: cost and score matrices, and pairwise agreement of every two deployments'
    answers per prompt (k-of-n acceptance = some member agrees with k-1 others; the first such member's
    answer is returned, as the tier's order says)."""

    def __init__(self, prompts: list[Prompt], pool: Sequence[str], agree: Agree) -> None:
        import numpy as np

        self.pool = list(pool)
        self.index = {m: i for i, m in enumerate(self.pool)}
        self.cost = np.array([[p.answers[m].cost for m in self.pool] for p in prompts])
        self.score = np.array([[p.answers[m].score for m in self.pool] for p in prompts])
        n, k = self.cost.shape
        self.pairs = np.zeros((n, k, k), dtype=bool)
        for i, p in enumerate(prompts):
            for a, b in itertools.combinations(range(k), 2):
                self.pairs[i, a, b] = self.pairs[i, b, a] = agree([p.answers[self.pool[a]].text,
                                                                  p.answers[self.pool[b]].text])

    def run(self, cascade: Cascade) -> SimResult:
        import numpy as np

        n = self.cost.shape[0]
        open_ = np.ones(n, dtype=bool)  # prompts still escalating
        cost = np.zeros(n)
        quality = np.zeros(n)
        shares = []
        for t, tier in enumerate(cascade.tiers):
            idx = [self.index[m] for m in tier]
            cost += np.where(open_, self.cost[:, idx].sum(axis=1), 0.0)
            if t == len(cascade.tiers) - 1:
                done, chosen = open_.copy(), np.full(n, idx[0])
            else:
                counts = 1 + self.pairs[:, idx][:, :, idx].sum(axis=2)  # per member: answers agreeing with it
                ok = counts >= cascade.k[t]
                done = open_ & ok.any(axis=1)
                chosen = np.array(idx)[ok.argmax(axis=1)]
            quality += np.where(done, self.score[np.arange(n), chosen], 0.0)
            shares.append(float(done.mean()))
            open_ &= ~done
        return SimResult(float(cost.sum()), float(quality.mean()), shares)


def singles(prompts: list[Prompt], pool: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Deployment -> (total cost, mean quality) of always using it."""
    return {m: (sum(p.answers[m].cost for p in prompts), statistics.fmean(p.answers[m].score for p in prompts))
            for m in pool}


def candidates(pool: Sequence[str], strongest: str, single: dict[str, tuple[float, float]]) -> list[Cascade]:
    """The search space: tier 1 = 2 or 3 of the other deployments (k = 2 or all), then either the strongest
    (2 tiers) or a pair of the remaining ones and then the strongest (3 tiers); and, for cheap points on the
    curve, 2-tier cascades ending at a deployment that is not the strongest but beats both of tier 1."""
    others = sorted((m for m in pool if m != strongest), key=lambda m: single[m][0])
    out = []
    for n in (2, 3):
        for t1 in itertools.combinations(others, n):
            for k in range(2, n + 1):
                out.append(Cascade((t1, (strongest,)), (k,)))
                rest = [m for m in others if m not in t1]
                for t2 in itertools.combinations(rest, 2):
                    out.append(Cascade((t1, t2, (strongest,)), (k, 2)))
                for last in rest:
                    if n == 2 and single[last][1] > max(single[m][1] for m in t1):
                        out.append(Cascade((t1, (last,)), (k,)))
    return out


BUDGETS = (0.1, 0.2, 0.35, 0.5, 0.75)  # shares of the strongest deployment's cost


def select(prompts: list[Prompt], pool: Sequence[str], agree: Agree) -> tuple[str, list[Cascade]]:
    """On the TRAIN prompts: the cheapest configuration reaching >= 98% of the strongest deployment's quality
    (if any), and the best configuration within each budget of BUDGETS. Returns (strongest, configurations)."""
    single = singles(prompts, pool)
    strongest = max(pool, key=lambda m: (single[m][1], -single[m][0]))
    top_cost, top_q = single[strongest]
    sim = Simulator(prompts, pool, agree)
    results = {c: sim.run(c) for c in candidates(pool, strongest, single)}
    chosen: list[Cascade] = []
    reach = [c for c in results if results[c].quality >= 0.98 * top_q]
    if reach:
        chosen.append(min(reach, key=lambda c: (results[c].cost, -results[c].quality)))
    for share in BUDGETS:
        within = [c for c in results if results[c].cost <= share * top_cost]
        if within:
            best = max(within, key=lambda c: (results[c].quality, -results[c].cost))
            if best not in chosen:
                chosen.append(best)
    return strongest, sorted(chosen, key=lambda c: results[c].cost)
