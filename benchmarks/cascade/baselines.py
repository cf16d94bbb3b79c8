"""Baselines for the cascade benchmark, on the same recorded prompts and the same deployment pool:
always-one-deployment, the product's prompt-only router over its price weight (`routing.strategy.choose`
with the shipped DifficultyModel, offline, as routing/evaluation.py does), LiteLLM's heuristic ComplexityRouter
(its four tiers mapped onto the pool, and a threshold sweep of its score), and the per-prompt oracle.

Each returns (cost, quality) points: cost = sum of the recorded/priced cost of the chosen deployment per
prompt, quality = mean recorded score of the chosen deployment.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from litellm_fusion.routing.difficulty_model import ARTIFACT_PATH, DifficultyModel, _read_artifact
from litellm_fusion.routing.strategy import DeploymentProfile, choose
from litellm_fusion.routing.text import request_text
from scripts import router_data
from scripts.train_router import ALIASES
from tests.support.replay_data import MMLU_PRO_PRICES, RB_MODELS, Prompt

Point = tuple[float, float]  # (total cost USD, mean quality)
PRICE_WEIGHTS = [0.0] + [0.002 * 10 ** (k / 12) for k in range(49)]  # 0, 0.002 .. 20


def evaluate(prompts: Sequence[Prompt], picks: Sequence[str]) -> Point:
    return (
        sum(p.answers[m].cost for p, m in zip(prompts, picks)),
        statistics.fmean(p.answers[m].score for p, m in zip(prompts, picks)),
    )


def mean_costs(train: Sequence[Prompt], pool: Sequence[str]) -> dict[str, float]:
    return {m: statistics.fmean(p.answers[m].cost for p in train if m in p.answers) for m in pool}


def frontier(train: Sequence[Prompt], pool: Sequence[str]) -> list[str]:
    """Deployments not dominated on train (mean cost, mean quality), cheapest first."""
    cost = mean_costs(train, pool)
    q = {m: statistics.fmean(p.answers[m].score for p in train if m in p.answers) for m in pool}
    keep = [
        m
        for m in pool
        if not any(cost[o] <= cost[m] and q[o] >= q[m] and (cost[o], q[o]) != (cost[m], q[m]) for o in pool)
    ]
    return sorted(keep, key=lambda m: cost[m])


def oracle(prompts: Sequence[Prompt], pool: Sequence[str]) -> Point:
    """Per prompt: the cheapest deployment with the best recorded score."""
    picks = [min(pool, key=lambda m: (-p.answers[m].score, p.answers[m].cost)) for p in prompts]
    return evaluate(prompts, picks)


# ---------------------------------------------------------------- the product's prompt-only router
class ProductRouter:
    """`choose()` over the pool at a price weight, with the shipped DifficultyModel's estimate (difficulty and
    slope) per prompt. Strengths: the artifact's fitted strength of the model each deployment replays (the
    artifact is trained on RouterBench and MMLU-Pro among others, under their names and ALIASES); a model it
    does not know is calibrated on the TRAIN prompts (strength s solving mean_i p_success = train accuracy),
    as an operator would set `model_info.strength`."""

    def __init__(self, train: Sequence[Prompt], pool: Sequence[str]) -> None:
        self.dm = DifficultyModel.load()
        self.pool = list(pool)
        cost = mean_costs(train, pool)
        strength = self._strengths(train)
        self.profiles = [DeploymentProfile(m, m, cost[m], 0.0, strength[m]) for m in pool]

    def estimate(self, p: Prompt):
        return self.dm.estimate(request_text([{"role": "user", "content": p.text}]))

    def _strengths(self, train: Sequence[Prompt]) -> dict[str, float]:
        source = {name: model for model, name in RB_MODELS.items()}
        source.update(
            {name: ALIASES.get(("mmlu_pro", model), model) for model, (name, _, _) in MMLU_PRO_PRICES.items()}
        )
        known = {m: self.dm.strengths[source[m]] for m in self.pool if source.get(m) in self.dm.strengths}
        estimates = [self.estimate(p) for p in train] if len(known) < len(self.pool) else []
        for m in self.pool:
            if m in known:
                continue
            acc = statistics.fmean(p.answers[m].score for p in train if m in p.answers)
            lo, hi = -10.0, 10.0
            for _ in range(60):
                mid = (lo + hi) / 2
                if statistics.fmean(e.p_success(mid) for e in estimates) < acc:
                    lo = mid
                else:
                    hi = mid
            known[m] = (lo + hi) / 2
        return known

    def points(self, prompts: Sequence[Prompt], weights: Sequence[float] = PRICE_WEIGHTS) -> list[tuple[float, Point]]:
        estimates = [self.estimate(p) for p in prompts]
        out = []
        for w in weights:
            picks = [choose(self.profiles, e, w, 1, 0).chosen.model for e in estimates]
            out.append((w, evaluate(prompts, picks)))
        return out

    def chosen_on_train(
        self, train: Sequence[Prompt], test: Sequence[Prompt], shares: Sequence[float], strongest: str
    ) -> list[Point]:
        """For each budget (a share of the strongest deployment's train cost), the price weight with the best
        train quality within it, scored on test (chosen on train, like the cascades)."""
        on_train = self.points(train)
        top_cost = evaluate(train, [strongest] * len(train))[0]
        weights = []
        for share in shares:
            within = [(w, pt) for w, pt in on_train if pt[0] <= share * top_cost]
            if within:
                weights.append(max(within, key=lambda wp: (wp[1][1], -wp[1][0]))[0])
        return [pt for _, pt in self.points(test, list(dict.fromkeys(weights)))]


def deployment_strengths(train: Sequence[Prompt], pool: Sequence[str]) -> dict[str, float]:
    """Deployment -> the routing strength the product router baseline uses (ProductRouter), which the replay
    proxy also sets as each deployment's model_info.strength (what skip_tiers compares)."""
    return {p.model: p.strength for p in ProductRouter(train, pool).profiles}


def held_out_by_router(data: Path, prompts: Sequence[Prompt]) -> list[bool]:
    """Per MMLU-Pro prompt: is its question in the shipped artifact's held-out manifest (never trained on)?
    The router's training split (scripts/router_data.py) is not this benchmark's question-id rule."""
    held = set(_read_artifact(ARTIFACT_PATH)["heldout"].get("mmlu_pro", []))
    questions = {str(q["question_id"]): q for q in router_data._jsonl(data / "mmlu_pro" / "questions.jsonl")}
    return [router_data.text_key("mmlu_pro", router_data.mmlu_pro_text(questions[p.key])) in held for p in prompts]


# ---------------------------------------------------------------- LiteLLM's heuristic ComplexityRouter
TIERS = ("SIMPLE", "MEDIUM", "COMPLEX", "REASONING")


def litellm_classifier() -> Callable[[str], tuple[str, float]]:
    import litellm
    from litellm.router_strategy.complexity_router.complexity_router import ComplexityRouter

    router = litellm.Router(model_list=[{"model_name": "m", "litellm_params": {"model": "openai/m", "api_key": "x"}}])
    cr = ComplexityRouter(
        model_name="cr", litellm_router_instance=router, complexity_router_config={"tiers": {t: "m" for t in TIERS}}
    )

    def classify(text: str) -> tuple[str, float]:
        tier, score, _ = cr.classify(text)
        return tier.value, float(score)

    return classify


def litellm_tier_mapping(front: Sequence[str]) -> dict[str, str]:
    """SIMPLE -> cheapest frontier deployment, REASONING -> the strongest, the two middle tiers evenly between."""
    n = len(front)
    return {t: front[round(i * (n - 1) / (len(TIERS) - 1))] for i, t in enumerate(TIERS)}


def litellm_points(
    train: Sequence[Prompt], test: Sequence[Prompt], front: Sequence[str], shares: Sequence[float]
) -> tuple[Point, list[Point]]:
    """(the tier mapping's point on test, the score-threshold sweep): for every pair of frontier deployments
    (cheap, strong) and every threshold among the train prompts' scores, prompts scoring at or above it go to
    the strong one; for each budget (a share of the strongest deployment's train cost) the configuration with
    the best train quality is kept, and scored on test: chosen on train, like the cascades."""
    classify = litellm_classifier()
    train_scores = [classify(p.text)[1] for p in train]
    test_cls = [classify(p.text) for p in test]
    tier_point = evaluate(test, [litellm_tier_mapping(front)[t] for t, _ in test_cls])
    thresholds = sorted(set(train_scores)) + [float("inf")]
    configs = [(cheap, strong, th) for a, cheap in enumerate(front) for strong in front[a + 1 :] for th in thresholds]

    def point(prompts, scores, cfg):
        cheap, strong, th = cfg
        return evaluate(prompts, [strong if x >= th else cheap for x in scores])

    on_train = {cfg: point(train, train_scores, cfg) for cfg in configs}
    top_cost = evaluate(train, [front[-1]] * len(train))[0]
    chosen = []
    for share in shares:
        within = [cfg for cfg, (c, _) in on_train.items() if c <= share * top_cost]
        if within:
            chosen.append(max(within, key=lambda cfg: (on_train[cfg][1], -on_train[cfg][0])))
    return tier_point, [point(test, [x for _, x in test_cls], cfg) for cfg in dict.fromkeys(chosen)]


# ---------------------------------------------------------------- curves
def envelope(points: Sequence[Point]) -> list[Point]:
    """Upper-left envelope: sorted by cost, keeping points whose quality strictly improves."""
    out: list[Point] = []
    for c, q in sorted(points):
        if not out or q > out[-1][1] + 1e-12:
            out.append((c, q))
    return out


def quality_at(points: Sequence[Point], budget: float) -> float | None:
    qs = [q for c, q in points if c <= budget * (1 + 1e-9)]
    return max(qs) if qs else None


def cost_to_reach(points: Sequence[Point], target: float) -> float | None:
    costs = [c for c, q in points if q >= target - 1e-12]
    return min(costs) if costs else None


def budgets(lo: float, hi: float, n: int = 25) -> list[float]:
    return [lo * (hi / lo) ** (k / (n - 1)) for k in range(n)] if lo > 0 and hi > lo else [hi]
