"""What each tier of a learning cascade costs per request when it runs, as this replica has seen it.

The skip rule (learning/policy.py) weighs what running a tier costs against what its expected acceptance saves, so
it needs each tier's typical cost. A tier's cost on one request is the sum of its calls' costs (the proxy's own
`response_cost`, from LiteLLM's price map or `model_info`). The estimate is a plain mean of the first
`WARMUP` observations, then an exponential moving average (`ALPHA`), so it follows price and traffic changes. It lives
in this replica's memory: a replica learns its cascades' costs from its first requests (nothing to share: every
replica sees the same prices), and a tier not yet seen has no estimate (the rule then skips only below `skip_below`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

WARMUP = 20  # observations averaged plainly before the moving average takes over
ALPHA = 0.05  # weight of a new observation after the warm-up (~ the last 20 to 40 requests)
MIN_SEEN = 5  # observations of a tier before its estimate is used


class TierCosts:
    def __init__(self) -> None:
        self._mean: dict[str, dict[int, float]] = {}
        self._seen: dict[str, dict[int, int]] = {}

    def observe(self, scope: str, calls: Iterable[tuple[int | None, float]]) -> None:
        """One answered request of the cascade `scope`: (tier, cost) of each of its calls (a tier without calls did
        not run and is not observed)."""
        per_tier: dict[int, float] = {}
        for tier, cost in calls:
            if tier is not None and cost >= 0:
                per_tier[tier] = per_tier.get(tier, 0.0) + cost
        means = self._mean.setdefault(scope, {})
        seen = self._seen.setdefault(scope, {})
        for tier, cost in per_tier.items():
            n = seen.get(tier, 0) + 1
            seen[tier] = n
            old = means.get(tier, cost)
            weight = 1.0 / n if n <= WARMUP else ALPHA
            means[tier] = old + weight * (cost - old)

    def of(self, scope: str) -> Mapping[int, float]:
        """Tier (1-based) -> its mean cost per request, for the tiers seen at least MIN_SEEN times."""
        seen = self._seen.get(scope, {})
        return {t: c for t, c in self._mean.get(scope, {}).items() if seen.get(t, 0) >= MIN_SEEN}
