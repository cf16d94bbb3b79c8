"""Cascade configurations and an offline simulation of them on recorded answers: it CHOOSES, on the train
split, which configurations the real proxy runs, is checked per prompt against the proxy's decisions, and
draws the "cascade family (simulated)" curve (labelled as such).

The cascade's headline numbers come from the real proxy (cascade_replay.py). Agreement and unusable answers
are decided here by the product's own rules (engine/answers.py, engine/acceptance.py); only the grouping of a
tier's answers is mirrored (Simulator).
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

Agree = Callable[[str, str], bool]  # are these two answers the same answer?
Usable = Callable[[str], bool]  # may this answer be accepted at all (not empty, not a refusal)?


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


def product_rules() -> tuple[Agree, Usable]:
    """The product's own normaliser (engine/answers.py) and unusable-answer rule (engine/acceptance.py)."""
    from litellm_fusion.engine.acceptance import unusable
    from litellm_fusion.engine.answers import same_answer
    from litellm_fusion.engine.types import Candidate

    def agree(a: str, b: str) -> bool:
        return same_answer(Candidate(0, "a", a), Candidate(1, "b", b)) is not None

    return agree, lambda text: unusable(Candidate(0, "a", text)) is None


@dataclass
class SimResult:
    cost: float
    quality: float
    tier_share: list[float]  # share of prompts answered at each tier
    tier_of: list[int]  # per prompt: the (1-based) tier whose answer is returned


class Simulator:
    """Pairwise agreement of every two deployments' answers per prompt, computed once; a tier's decision
    mirrors engine/acceptance.py + answers.clusters: unusable answers are set aside, the usable ones are
    grouped (each joins the first group whose first answer it agrees with), the largest group (ties: the
    earlier) must have k answers (k = all: every call of the tier), and its first answer is returned."""

    def __init__(self, prompts: list[Prompt], pool: Sequence[str], rules: tuple[Agree, Usable]) -> None:
        import numpy as np

        agree, usable = rules
        self.prompts = prompts
        self.pool = list(pool)
        self.index = {m: i for i, m in enumerate(self.pool)}
        self.cost = np.array([[p.answers[m].cost for m in self.pool] for p in prompts])
        self.score = np.array([[p.answers[m].score for m in self.pool] for p in prompts])
        self.usable = np.array([[usable(p.answers[m].text) for m in self.pool] for p in prompts])
        n, k = self.cost.shape
        self.pairs = np.zeros((n, k, k), dtype=bool)
        for i, p in enumerate(prompts):
            for a, b in itertools.combinations(range(k), 2):
                self.pairs[i, a, b] = self.pairs[i, b, a] = agree(p.answers[self.pool[a]].text,
                                                                  p.answers[self.pool[b]].text)
        self._tiers: dict[tuple[tuple[int, ...], int], tuple] = {}

    def decide(self, idx: tuple[int, ...], k: int):
        """Per prompt: (accepted, index of the deployment whose answer the tier returns)."""
        import numpy as np

        if (idx, k) not in self._tiers:
            accepted = np.zeros(len(self.prompts), dtype=bool)
            chosen = np.full(len(self.prompts), idx[0])
            for i in range(len(self.prompts)):
                groups: list[list[int]] = []
                for m in (m for m in idx if self.usable[i, m]):
                    for g in groups:
                        if self.pairs[i, g[0], m]:
                            g.append(m)
                            break
                    else:
                        groups.append([m])
                if groups:
                    top = max(groups, key=len)  # max keeps the first of equal sizes
                    accepted[i], chosen[i] = len(top) >= k, top[0]
            self._tiers[(idx, k)] = (accepted, chosen)
        return self._tiers[(idx, k)]

    def run(self, cascade: Cascade) -> SimResult:
        import numpy as np

        n = len(self.prompts)
        open_ = np.ones(n, dtype=bool)  # prompts still escalating
        cost = np.zeros(n)
        quality = np.zeros(n)
        shares = []
        tier_of = np.zeros(n, dtype=int)
        for t, tier in enumerate(cascade.tiers):
            idx = tuple(self.index[m] for m in tier)
            cost += np.where(open_, self.cost[:, list(idx)].sum(axis=1), 0.0)
            last = t == len(cascade.tiers) - 1
            ok, chosen = self.decide(idx, 1 if last else cascade.k[t])
            done = open_ & (ok | last)
            quality += np.where(done, self.score[np.arange(n), chosen], 0.0)
            shares.append(float(done.mean()))
            tier_of[done] = t + 1
            open_ &= ~done
        return SimResult(float(cost.sum()), float(quality.mean()), shares, tier_of.tolist())


def singles(prompts: list[Prompt], pool: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Deployment -> (total cost, mean quality) of always using it."""
    return {m: (sum(p.answers[m].cost for p in prompts), statistics.fmean(p.answers[m].score for p in prompts))
            for m in pool}


def candidates(pool: Sequence[str], strongest: str, single: dict[str, tuple[float, float]]) -> list[Cascade]:
    """The search space: tier 1 = 2 or 3 of the other deployments (k = 2 or all), then either the strongest
    (2 tiers) or a pair of the remaining ones stronger on average than tier 1 and then the strongest
    (3 tiers); and, for cheap points on the curve, 2-tier cascades ending at a deployment that is not the
    strongest but beats every member of tier 1. Quality and cost here are the train split's."""
    others = sorted((m for m in pool if m != strongest), key=lambda m: single[m][0])

    def mean_q(tier: Sequence[str]) -> float:
        return statistics.fmean(single[m][1] for m in tier)

    out = []
    for n in (2, 3):
        for t1 in itertools.combinations(others, n):
            rest = [m for m in others if m not in t1]
            for k in range(2, n + 1):
                out.append(Cascade((t1, (strongest,)), (k,)))
                for t2 in itertools.combinations(rest, 2):
                    if mean_q(t2) > mean_q(t1):
                        out.append(Cascade((t1, t2, (strongest,)), (k, 2)))
                for last in rest:
                    if n == 2 and single[last][1] > max(single[m][1] for m in t1):
                        out.append(Cascade((t1, (last,)), (k,)))
    return out


PROXY_BUDGETS = (0.1, 0.25, 0.5)  # shares of the strongest deployment's cost: configurations run through the proxy
CURVE_BUDGETS = tuple(0.02 * 50 ** (k / 15) for k in range(16))  # 2% .. 100%: the simulated curve


@dataclass
class Selection:
    strongest: str
    core: list[Cascade]  # run through the real proxy by default
    proxy: list[Cascade]  # run through the real proxy with --all-configs (includes `core`)
    curve: list[Cascade]  # the best train configuration within each of CURVE_BUDGETS (simulated on test)


def select(prompts: list[Prompt], pool: Sequence[str], rules: tuple[Agree, Usable]) -> Selection:
    """Everything decided on the TRAIN prompts. Core: the best configuration within 50% of the strongest
    deployment's cost (what the target asks for) and the best 3-tier one within 50%.
    All proxy configurations: the cheapest reaching 98% (if any), the best within each of PROXY_BUDGETS, and
    (if none of those has three tiers) the best 3-tier one within 50%. Curve: the best within each
    CURVE_BUDGETS."""
    single = singles(prompts, pool)
    strongest = max(pool, key=lambda m: (single[m][1], -single[m][0]))
    top_cost, top_q = single[strongest]
    sim = Simulator(prompts, pool, rules)
    results = {c: sim.run(c) for c in candidates(pool, strongest, single)}

    def best_within(share: float, among=results) -> Cascade | None:
        within = [c for c in among if results[c].cost <= share * top_cost]
        return max(within, key=lambda c: (results[c].quality, -results[c].cost)) if within else None

    def unique(items) -> list[Cascade]:
        out: list[Cascade] = []
        for c in items:
            if c is not None and c not in out:
                out.append(c)
        return sorted(out, key=lambda c: results[c].cost)

    reach = [c for c in results if results[c].quality >= 0.98 * top_q]
    target = min(reach, key=lambda c: (results[c].cost, -results[c].quality)) if reach else None
    three_tier = best_within(0.5, [c for c in results if len(c.tiers) == 3])
    proxy = unique([target] + [best_within(b) for b in PROXY_BUDGETS])
    if all(len(c.tiers) < 3 for c in proxy):
        proxy = unique(proxy + [three_tier])
    core = unique([best_within(0.5), three_tier])
    return Selection(strongest, core, unique(proxy + core), unique(best_within(b) for b in CURVE_BUDGETS))
