"""Learning inside the proxy: the one Learner of this process, and what cascades and routed groups ask of it.

- `learner`: the audit service's LabelSink (engine/labels.py; wired in litellm_fusion/__init__.py); labels for a
  scope without `learn: true` on this proxy are dropped.
- Cascades with `learn: true`: `cascade_plan` (before the first tier: which tiers the learned model skips); after the
  request, each earlier tier that ran reaches the learner as an acceptance label from the audit service.
- Routed groups with `learn: true`: `routing_success` (the learned success estimates `choose` takes) and
  `explore_route` (a share of requests goes to a cheaper deployment, so every deployment keeps getting labels).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..config.fusion import FusionModelConfig
from ..config.settings import PluginSettings
from ..learning.features import Features
from ..learning.learner import Learner, Scope, View
from ..learning.policy import TierPlan, plan_tiers, routing_success
from ..learning.priors import RoutingPrior, cascade_prior
from ..routing.difficulty_model import Reading
from ..routing.strategy import Decision, DeploymentProfile, redirected
from .proxy_access.deployment_profiles import model_strength
from .proxy_access.router_access import deployments
from .stores.redis_learning_store import LearningStores


def learns(config: Any) -> bool:
    """`learn: true` on a cascade (FusionModelConfig) or a routed group (GroupRouting)."""
    return bool(config.learn)


@dataclass
class RouteLearning:
    """What learning did for one routing decision."""

    view: View
    features: Features | None
    success: dict[str, float]  # deployment model -> learned success estimate
    explored: bool = False

    def report(self) -> dict[str, Any]:
        out = {**self.view.report(), "explored": self.explored}
        if self.success:
            out["p_learned"] = {k: round(v, 4) for k, v in self.success.items()}
        return out


class LearningRuntime:
    def __init__(self, settings: PluginSettings) -> None:
        self.settings = settings.learning
        self.stores = LearningStores(settings.judge_cache, settings.learning)
        self.learner = Learner(settings.learning, self.stores.current)

    # ---- cascades ----
    def _cascade_scope(self, router: Any, config: FusionModelConfig) -> Scope:
        scope = self.learner.scopes.get(config.name)
        if scope is None or scope.kind != "tiers":
            listed = deployments(router)
            strengths = [[model_strength(listed, m) for m in dict.fromkeys(t.models)] for t in config.tiers]
            scope = Scope(config.name, "tiers", cascade_prior(strengths))
            self.learner.register(scope)
        return scope

    def cascade_plan(
        self, router: Any, config: FusionModelConfig, messages: Sequence[Any], reading: Reading | None = None
    ) -> TierPlan | None:
        """The tiers this request skips (none while the model has too few labels, or when it explores); None when
        the model is not a cascade with `learn: true`. `reading`: the classifier's read of the request, if made."""
        if not (config.tiered and learns(config)):
            return None
        scope = self._cascade_scope(router, config)
        prior = scope.prior
        assert not isinstance(prior, RoutingPrior)
        features = self.learner.features(messages, reading)
        explore = self.learner.explore()
        view = self.learner.view(config.name)
        return plan_tiers(view, features, prior, len(config.tiers), self.settings, explore)

    # ---- routed groups ----
    def _routing_scope(self, group: str, profiles: Sequence[DeploymentProfile]) -> Scope:
        scope = self.learner.scopes.get(group)
        strengths = {p.model: p.strength for p in profiles}
        if scope is None or not isinstance(scope.prior, RoutingPrior) or scope.prior.strengths != strengths:
            top = max(profiles, key=lambda p: (p.strength, p.input_cost + p.output_cost)).model
            aliases = {p.id: p.model for p in profiles}
            scope = Scope(group, "group", RoutingPrior(strengths, top), aliases)
            self.learner.register(scope)
        return scope

    def routing_success(
        self,
        group: str,
        all_profiles: Sequence[DeploymentProfile],
        messages: Sequence[Any],
        reading: Reading | None = None,
    ) -> RouteLearning:
        """Learned success estimates for this request (`all_profiles`: every deployment of the group, so the arms
        and the strongest do not depend on which deployments are healthy right now)."""
        scope = self._routing_scope(group, all_profiles)
        features = self.learner.features(messages, reading)
        view = self.learner.view(group)
        prior = scope.prior
        assert isinstance(prior, RoutingPrior)
        return RouteLearning(view, features, routing_success(view, features, prior))

    def for_group(
        self, group: str, routing: Any, messages: Sequence[Any] | None, reading: Reading | None = None
    ) -> RouteLearning | None:
        """Learned success estimates for a request to a routed group with `learn: true` (None: it does not learn).
        The arms and the strongest come from every deployment of the group, healthy or not."""
        if not learns(routing):
            return None
        from .proxy_access.deployment_profiles import profile_for
        from .proxy_access.router_access import group_deployments, proxy_router

        everyone = [profile_for(d, group) for d in group_deployments(proxy_router(), group)]
        return self.routing_success(group, everyone, messages or [], reading)

    def explore(
        self,
        decision: Decision,
        learned: RouteLearning,
        profiles: Sequence[DeploymentProfile],
        prompt_tokens: int,
        output_tokens: int,
    ) -> Decision:
        """Exploration: a share `explore` of the requests goes to a considered deployment cheaper than the one chosen
        (drawn uniformly), so that every deployment keeps getting labels; the others keep the decision."""
        if not self.learner.explore():
            return decision
        price = decision.chosen.input_cost + decision.chosen.output_cost
        cheaper = [p for p in profiles if p.model in decision.considered and p.input_cost + p.output_cost < price]
        if not cheaper:
            return decision
        learned.explored = True
        return redirected(
            decision,
            cheaper[self.learner.draw(len(cheaper))],
            prompt_tokens,
            output_tokens,
            f"exploring for learning (a share {self.settings.explore:g} of requests)",
        )
