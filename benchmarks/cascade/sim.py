"""Cascade configurations and an offline simulation of them on recorded answers: it CHOOSES, on the train
split, which configurations the real proxy runs, is checked per prompt against the proxy's decisions, and
draws the "cascade family (simulated)" curve (labelled as such).

The cascade's headline numbers come from the real proxy (replay.py). Agreement and unusable answers
are decided here by the product's own rules (engine/answers.py, engine/acceptance.py); only the grouping of a
tier's answers is mirrored (Simulator).
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..harness.replay import Prompt

Agree = Callable[[str, str], bool]  # are these two answers the same answer?
Usable = Callable[[str], bool]  # may this answer be accepted at all (not empty, not a refusal)?


@dataclass(frozen=True)
class Cascade:
    tiers: tuple[tuple[str, ...], ...]  # deployment names, cheapest tier first
    k: tuple[int, ...]  # answers that must agree, per tier but the last (== tier size: "all")
    skip: float | None = None  # skip_tiers.target_p_success (classifier skip), None = off

    @property
    def name(self) -> str:
        parts = []
        for i, tier in enumerate(self.tiers):
            members = "+".join(m.split("-", 1)[1] for m in tier)
            agree = "" if i == len(self.tiers) - 1 or self.k[i] == len(tier) else f" (k={self.k[i]})"
            parts.append(f"[{members}]{agree}")
        return " > ".join(parts) + (f", skip at p<{self.skip:g}" if self.skip is not None else "")

    def with_skip(self, target: float | None) -> Cascade:
        return Cascade(self.tiers, self.k, target)

    def litellm_params(self) -> dict:
        """The model_list entry's litellm_params (cascade_spec.md)."""
        tiers: list = []
        for i, tier in enumerate(self.tiers):
            last = i == len(self.tiers) - 1
            if last or self.k[i] == len(tier):
                tiers.append(list(tier))
            else:
                tiers.append({"models": list(tier), "accept": {"agreement": self.k[i]}})
        params = {"model": "fusion/cascade", "tiers": tiers, "accept": {"agreement": "all"}}
        if self.skip is not None:
            params["skip_tiers"] = {"target_p_success": self.skip}
        return params


def product_rules() -> tuple[Agree, Usable]:
    """The product's own agreement relation (engine/answers) and unusable-answer rule (engine/acceptance.py)."""
    from litellm_fusion.engine.acceptance import unusable
    from litellm_fusion.engine.records import Candidate

    from ..harness.answers import same

    return same, lambda text: unusable(Candidate(0, "a", text)) is None


@dataclass
class SimResult:
    cost: float
    quality: float
    tier_share: list[float]  # share of prompts answered at each tier
    tier_of: list[int]  # per prompt: the (1-based) tier whose answer is returned
    start_of: list[int]  # per prompt: the (1-based) tier it started at (1 unless the classifier skipped tiers)
    rounds: float  # mean number of tiers run one after another per prompt (the cascade's latency in rounds)


class Simulator:
    """Pairwise agreement of every two deployments' answers per prompt, computed once; a tier's decision
    mirrors engine/acceptance.py + answers.clusters: unusable answers are set aside, the usable ones are
    grouped (each joins the first group whose first answer it agrees with), the largest group (ties: the
    earlier) must have k answers (k = all: every call of the tier), and its first answer is returned.

    Classifier skip (`Cascade.skip`, the product's `skip_tiers`) mirrors routing/tier_start.py: a prompt starts
    at the first tier whose strongest member (by `strengths`, what the proxy's `model_info.strength` says) the
    shipped DifficultyModel predicts to answer it with p >= target; the last tier always qualifies."""

    def __init__(
        self,
        prompts: list[Prompt],
        pool: Sequence[str],
        rules: tuple[Agree, Usable],
        strengths: dict[str, float] | None = None,
    ) -> None:
        import numpy as np

        agree, usable = rules
        self.prompts = prompts
        self.strengths = strengths
        self._estimates: list | None = None
        self.pool = list(pool)
        self.index = {m: i for i, m in enumerate(self.pool)}
        self.cost = np.array([[p.answers[m].cost for m in self.pool] for p in prompts])
        self.score = np.array([[p.answers[m].score for m in self.pool] for p in prompts])
        self.usable = np.array([[usable(p.answers[m].text) for m in self.pool] for p in prompts])
        n, k = self.cost.shape
        self.pairs = np.zeros((n, k, k), dtype=bool)
        for i, p in enumerate(prompts):
            for a, b in itertools.combinations(range(k), 2):
                self.pairs[i, a, b] = self.pairs[i, b, a] = agree(
                    p.answers[self.pool[a]].text, p.answers[self.pool[b]].text
                )
        self._tiers: dict[tuple[tuple[int, ...], int], tuple] = {}

    def decide(self, idx: tuple[int, ...], k: int):
        """Per prompt: (accepted, index of the deployment whose answer the tier returns, the tier's cost, the
        returned answer's score)."""
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
            self._tiers[(idx, k)] = (
                accepted,
                chosen,
                self.cost[:, list(idx)].sum(axis=1),
                self.score[np.arange(len(self.prompts)), chosen],
            )
        return self._tiers[(idx, k)]

    def estimates(self) -> list:
        """Per prompt: the shipped classifier's Estimate of the request (None: no text to classify)."""
        if self._estimates is None:
            from litellm_fusion.routing.difficulty_model import DifficultyModel

            dm = DifficultyModel.load()
            self._estimates = [dm.estimate_of([{"role": "user", "content": p.text}]) for p in self.prompts]
        return self._estimates

    def start_tiers(self, cascade: Cascade):
        """Per prompt: the 1-based tier the cascade starts at (routing/tier_start.start_tier, mirrored)."""
        import numpy as np

        if cascade.skip is None:
            return np.ones(len(self.prompts), dtype=int)
        assert self.strengths is not None, "classifier skip needs the deployments' strengths"
        tops = [max(self.strengths[m] for m in tier) for tier in cascade.tiers]
        starts = []
        for e in self.estimates():
            if e is None:
                starts.append(1)
                continue
            p = [e.p_success(s) for s in tops]
            starts.append(next((i for i, v in enumerate(p[:-1], start=1) if v >= cascade.skip), len(p)))
        return np.array(starts)

    def run(self, cascade: Cascade) -> SimResult:
        import numpy as np

        n = len(self.prompts)
        start = self.start_tiers(cascade)
        open_ = np.ones(n, dtype=bool)  # prompts still escalating
        cost = np.zeros(n)
        quality = np.zeros(n)
        rounds = np.zeros(n)
        shares = []
        tier_of = np.zeros(n, dtype=int)
        for t, tier in enumerate(cascade.tiers):
            idx = tuple(self.index[m] for m in tier)
            running = open_ & (start <= t + 1)  # skipped tiers make no calls
            last = t == len(cascade.tiers) - 1
            ok, _, tier_cost, score = self.decide(idx, 1 if last else cascade.k[t])
            cost += np.where(running, tier_cost, 0.0)
            rounds += running
            done = running & (ok | last)
            quality += np.where(done, score, 0.0)
            shares.append(float(done.mean()))
            tier_of[done] = t + 1
            open_ &= ~done
        return SimResult(
            float(cost.sum()), float(quality.mean()), shares, tier_of.tolist(), start.tolist(), float(rounds.mean())
        )


def singles(prompts: list[Prompt], pool: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Deployment -> (total cost, mean quality) of always using it."""
    return {
        m: (sum(p.answers[m].cost for p in prompts), statistics.fmean(p.answers[m].score for p in prompts))
        for m in pool
    }


def candidates(pool: Sequence[str], strongest: str, single: dict[str, tuple[float, float]]) -> list[Cascade]:
    """The search space (quality and cost here are the train split's):
    - tier 1 = 2 or 3 of the deployments other than the strongest, k = 2 or all;
    - then a last tier of one deployment: the strongest, or (cheaper points on the curve) any other deployment
      that beats every member of tier 1 (a mid-priced last tier);
    - or a middle tier first: 2 or 3 of the remaining deployments (k = 2 or all), stronger on average than
      tier 1, then a last tier of one: the strongest or a remaining one that beats every member of tier 2.
    One deployment alone cannot be a tier that checks agreement (one recorded answer per model and prompt:
    self-consistency samples cannot be replayed), so single deployments only end a cascade."""
    others = sorted((m for m in pool if m != strongest), key=lambda m: single[m][0])

    def q(m: str) -> float:
        return single[m][1]

    def mean_q(tier: Sequence[str]) -> float:
        return statistics.fmean(q(m) for m in tier)

    def lasts(after: Sequence[str], free: Sequence[str]) -> list[str]:
        return [strongest] + [m for m in free if q(m) > max(q(x) for x in after)]

    out = []
    for n in (2, 3):
        for t1 in itertools.combinations(others, n):
            rest = [m for m in others if m not in t1]
            middles = [
                (t2, k2)
                for size in (2, 3)
                for t2 in itertools.combinations(rest, size)
                if mean_q(t2) > mean_q(t1)
                for k2 in range(2, size + 1)
            ]
            for k in range(2, n + 1):
                out.extend(Cascade((t1, (last,)), (k,)) for last in lasts(t1, rest))
                for t2, k2 in middles:
                    free = [m for m in rest if m not in t2]
                    out.extend(Cascade((t1, t2, (last,)), (k, k2)) for last in lasts(t2, free))
    return out


PROXY_BUDGETS = (0.1, 0.25, 0.5)  # shares of the strongest deployment's cost: configurations run through the proxy
CURVE_BUDGETS = tuple(0.01 * 100 ** (k / 47) for k in range(48))  # 1% .. 100%: the simulated family's budgets
SKIP_TARGETS = tuple(round(0.30 + 0.02 * k, 2) for k in range(33))  # 0.30 .. 0.94: skip_tiers.target_p_success swept
SKIP_TOLERANCE = 0.002  # train quality a skip variant may give up (about 2 prompts in 1000) and still be chosen


@dataclass
class Selection:
    strongest: str
    core: list[Cascade]  # run through the real proxy by default
    proxy: list[Cascade]  # run through the real proxy with --all-configs (includes `core`)
    curve: list[Cascade]  # the best train configuration within each of CURVE_BUDGETS (simulated on test)
    curve_skip: list[Cascade] = field(default_factory=list)  # the same, skip variants allowed
    skip: dict[Cascade, Cascade | None] = field(default_factory=dict)  # core config -> its chosen skip variant
    skip_check: list[Cascade] = field(default_factory=list)  # skip variants run through the proxy


def train_front(results: dict[Cascade, SimResult]) -> list[Cascade]:
    """Configurations no other one beats on train at the same or lower cost, cheapest first."""
    front: list[Cascade] = []
    for c in sorted(results, key=lambda c: (results[c].cost, -results[c].quality)):
        if not front or results[c].quality > results[front[-1]].quality + 1e-12:
            front.append(c)
    return front


def skip_variants(sim: Simulator, base: Cascade) -> dict[Cascade, SimResult]:
    """`base` with skip_tiers at each of SKIP_TARGETS, on the simulator's prompts; targets that start the
    same prompts at the same tiers as a lower target (or skip none) are left out."""
    out: dict[Cascade, SimResult] = {}
    seen: set[tuple[int, ...]] = set()
    for target in SKIP_TARGETS:
        variant = base.with_skip(target)
        r = sim.run(variant)
        key = tuple(r.start_of)
        if key not in seen and any(t > 1 for t in key):
            seen.add(key)
            out[variant] = r
    return out


def chosen_skip(base: SimResult, variants: dict[Cascade, SimResult]) -> Cascade | None:
    """The skip target chosen on train for a configuration: the one saving the most rounds (tiers run one after
    another: latency) among those costing no more than without skipping and losing at most SKIP_TOLERANCE of
    quality; None when no target qualifies."""
    ok = [
        v
        for v, r in variants.items()
        if r.cost <= base.cost * (1 + 1e-9) and r.quality >= base.quality - SKIP_TOLERANCE
    ]
    return min(ok, key=lambda v: (variants[v].rounds, -variants[v].quality)) if ok else None


def select(
    prompts: list[Prompt], pool: Sequence[str], rules: tuple[Agree, Usable], strengths: dict[str, float] | None = None
) -> Selection:
    """Everything decided on the TRAIN prompts. Core: the best configuration within 50% of the strongest
    deployment's cost (what the target asks for) and the best 3-tier one within 50%.
    All proxy configurations: the cheapest reaching 98% (if any), the best within each of PROXY_BUDGETS, and
    (if none of those has three tiers) the best 3-tier one within 50%. Curve: the best within each
    CURVE_BUDGETS.
    With `strengths` (the deployments' routing strengths), classifier skip too: every train-front and core
    configuration with each of SKIP_TARGETS; `curve_skip` = the best within each budget when skip variants
    compete; per core configuration the `chosen_skip` target; `skip_check` = the skip variants the proxy runs:
    the chosen ones and, when the best configuration within 50% has none skipping at least a quarter of the
    train prompts, its variant skipping closest to half of them (to check the product against the simulation
    where skipping matters)."""
    single = singles(prompts, pool)
    strongest = max(pool, key=lambda m: (single[m][1], -single[m][0]))
    top_cost, top_q = single[strongest]
    sim = Simulator(prompts, pool, rules, strengths)
    results = {c: sim.run(c) for c in candidates(pool, strongest, single)}
    plain = list(results)

    def best_within(share: float, among: Sequence[Cascade] = plain) -> Cascade | None:
        within = [c for c in among if results[c].cost <= share * top_cost]
        return max(within, key=lambda c: (results[c].quality, -results[c].cost)) if within else None

    def unique(items) -> list[Cascade]:
        out: list[Cascade] = []
        for c in items:
            if c is not None and c not in out:
                out.append(c)
        return sorted(out, key=lambda c: results[c].cost)

    reach = [c for c in plain if results[c].quality >= 0.98 * top_q]
    target = min(reach, key=lambda c: (results[c].cost, -results[c].quality)) if reach else None
    three_tier = best_within(0.5, [c for c in plain if len(c.tiers) == 3])
    proxy = unique([target] + [best_within(b) for b in PROXY_BUDGETS])
    if all(len(c.tiers) < 3 for c in proxy):
        proxy = unique(proxy + [three_tier])
    best50 = best_within(0.5)
    core = unique([best50, three_tier])
    chosen = Selection(strongest, core, unique(proxy + core), unique(best_within(b) for b in CURVE_BUDGETS))
    if strengths is None:
        return chosen

    def skipping(v: Cascade) -> float:
        return sum(t > 1 for t in results[v].start_of) / len(prompts)

    for base in unique(train_front(results) + chosen.proxy):
        variants = skip_variants(sim, base)
        results.update(variants)
        if base in core:
            chosen.skip[base] = pick = chosen_skip(results[base], variants)
            chosen.skip_check.append(pick)
            if base == best50 and (pick is None or skipping(pick) < 0.25):
                chosen.skip_check.append(min(variants, default=None, key=lambda v: abs(skipping(v) - 0.5)))
    chosen.skip_check = unique(chosen.skip_check)
    chosen.curve_skip = unique(best_within(b, list(results)) for b in CURVE_BUDGETS)
    return chosen
