"""The learner: takes labels (a LabelSink), keeps them in the shared store, refits and hot-loads the models.

- `observe(label)` (audits, escalation checks and acceptances, engine/labels.py) turns the request into `Features`
  at once (the text is never kept) and stores the record in the background: a label never waits on Redis, never
  raises.
- After a store, when the scope has REFIT_GROWTH more labels than its model was fitted on (at least
  `refit_every`), the replica that takes the scope's lock refits every arm in a worker thread and publishes the
  model with the next version number.
- `view(scope)` is what a request reads, without waiting: the model last loaded, refreshed in the background
  when older than `poll_s`. Redis unavailable: no model (the shipped prior decides), state `unavailable`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..config.learning import LearningSettings
from ..engine.labels import Label
from ..routing.difficulty_model import DifficultyModel, Reading
from .features import Features, features_from, features_of
from .model import ArmModel, Example, LearnedModel, fit_arm
from .priors import CascadePrior, RoutingPrior
from .store import LabelRecord, LearningStore, StoreUnavailable

log = logging.getLogger("litellm_fusion")

MAX_PENDING = 256  # background stores in flight; beyond, labels are dropped (and counted)
REFIT_GROWTH = 0.1  # refit after this share more labels than the model has seen (and at least refit_every)
LOCK_S = 120
State = Literal["learned", "prior", "unavailable"]


@dataclass(frozen=True)
class Scope:
    name: str  # the cascade's model_name or the routed group's name
    kind: Literal["tiers", "group"]  # learns which tiers to skip, or which deployment of a group
    prior: CascadePrior | RoutingPrior
    aliases: Mapping[str, str] = field(default_factory=dict)  # other names of an arm (a deployment's id) -> the arm


@dataclass(frozen=True)
class View:
    """What a request reads: the model (None: the prior decides), the labels observed, and why."""

    model: LearnedModel | None
    labels: int
    state: State

    def report(self) -> dict[str, Any]:
        return {"state": self.state, "model_version": self.model.version if self.model else None, "labels": self.labels}


@dataclass
class _Cached:
    view: View
    checked: float = float("-inf")  # monotonic time of the last look at the store


def label_value(kind: str, label: Label) -> float | None:
    """A label as this learner's target (None: not used).

    Routed groups learn agreement with the strongest deployment: every label counts. Cascades learn "accepted,
    with an answer that agrees with the last tier": an acceptance label (each earlier tier that ran: accepted or
    escalated) is the target itself, and an audit that found an accepted answer disagreeing with the last tier adds
    a 0. An agreeing audit repeats its acceptance, and an escalation check concerns a tier that already has its 0.
    """
    if kind == "group" or label.source == "acceptance":
        return 1.0 if label.good else 0.0
    if label.source == "audit" and not label.good:
        return 0.0
    return None


class Learner:
    def __init__(
        self,
        settings: LearningSettings,
        store: Callable[[], LearningStore | None],
        prior: Callable[[], DifficultyModel] = DifficultyModel.load,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._store = store
        self._prior = prior
        self._clock = clock
        self.scopes: dict[str, Scope] = {}
        self._cache: dict[str, _Cached] = {}
        self._rng = random.Random(settings.seed)
        self._tasks: set[asyncio.Task[None]] = set()
        self._refreshing: set[str] = set()
        self._refitting: set[str] = set()
        self.dropped = 0  # labels not stored: overload or no store
        self.fits: deque[tuple[str, int, float]] = deque(maxlen=100)  # (scope, labels, seconds): recent refits

    # ---- inputs ----
    def register(self, scope: Scope) -> None:
        self.scopes[scope.name] = scope

    def features(self, messages: Any, reading: Reading | None = None) -> Features | None:
        """The request's features; from `reading` when the classifier has read the request already."""
        prior = self._prior()
        return features_from(reading, prior) if reading is not None else features_of(messages, prior)

    def explore(self) -> bool:
        """One exploration draw: True for a share `explore` of the draws (seeded by `seed`)."""
        return self._rng.random() < self.settings.explore

    def draw(self, n: int) -> int:
        """A uniform draw from range(n), from the same seeded generator."""
        return self._rng.randrange(n)

    async def observe(self, label: Label) -> None:
        """LabelSink: record one label from an audit or an escalation check. Never raises, never waits on Redis."""
        try:
            scope = self.scopes.get(label.scope)
            y = None if scope is None else label_value(scope.kind, label)
            if y is None:
                return
            features = self.features(label.messages)
            if features is not None and scope is not None:
                self.record(label.scope, scope.aliases.get(label.arm, label.arm), y, label.source, features)
        except Exception as exc:  # noqa: BLE001 - a label must never fail the caller
            self.dropped += 1
            log.warning("litellm_fusion: learning dropped a label (%s: %s)", type(exc).__name__, exc)

    def record(self, scope: str, arm: str, y: float, source: str, features: Features) -> None:
        """Store one labelled outcome in the background."""
        if scope not in self.scopes:
            return
        record = LabelRecord(y, source, self._clock(), features)
        self._spawn(self._add(scope, arm, record))

    # ---- what requests read ----
    def view(self, scope: str) -> View:
        cached = self._cache.get(scope)
        if cached is None:
            cached = self._cache[scope] = _Cached(View(None, 0, "prior"))
        if time.monotonic() - cached.checked >= self.settings.poll_s and scope not in self._refreshing:
            self._refreshing.add(scope)
            self._spawn(self._refresh(scope), done=lambda: self._refreshing.discard(scope))
        return cached.view

    async def refresh(self, scope: str) -> View:
        """Look at the store now (tests, benchmarks); returns the view requests will read."""
        await self._refresh(scope)
        return self._cache[scope].view

    # ---- background work ----
    def _spawn(self, work: Coroutine[Any, Any, None], done: Callable[[], None] | None = None) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            work.close()
            self.dropped += 1
            return
        if len(self._tasks) >= MAX_PENDING:
            work.close()
            self.dropped += 1
            if done is not None:
                done()
            return
        task = loop.create_task(work)
        self._tasks.add(task)

        def finished(t: asyncio.Task[None]) -> None:
            self._tasks.discard(t)
            if done is not None:
                done()

        task.add_done_callback(finished)

    async def drain(self) -> None:
        """Wait for the background work in flight (tests, benchmarks, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _store_or_none(self) -> LearningStore | None:
        try:
            return self._store()
        except Exception:  # noqa: BLE001 - no store is "unavailable", never an error
            return None

    async def _add(self, scope: str, arm: str, record: LabelRecord) -> None:
        store = self._store_or_none()
        if store is None:
            self.dropped += 1
            return
        try:
            count = await store.add_label(scope, arm, record.encode(), self.settings.max_labels, self.settings.ttl)
        except StoreUnavailable:
            self.dropped += 1
            return
        fitted = self._cache.get(scope)
        seen = fitted.view.model.observed if fitted and fitted.view.model else 0
        if count - seen >= max(self.settings.refit_every, int(seen * REFIT_GROWTH)):
            await self.refit(scope)

    async def refit(self, scope: str, force: bool = False) -> LearnedModel | None:
        """Refit the scope's model from every stored label and publish it, if this replica gets the lock (and, unless
        `force`, the published model is due for it). Returns the new model (None: not refitted)."""
        store = self._store_or_none()
        spec = self.scopes.get(scope)
        if store is None or spec is None or scope in self._refitting:
            return None
        self._refitting.add(scope)
        locked = False
        try:
            locked = await store.try_lock(scope, LOCK_S)
            if not locked:
                return None
            count = await store.label_count(scope)
            previous = await self._published(store, scope)
            seen = previous.observed if previous else 0
            if not force and count - seen < max(self.settings.refit_every, int(seen * REFIT_GROWTH)):
                return None
            raw = await store.read_labels(scope)
            started = time.perf_counter()
            arms, n = await asyncio.to_thread(self._fit, spec, raw, previous)
            version = max(await store.model_version(scope), previous.version if previous else 0) + 1
            model = LearnedModel(scope, version, n, self._clock(), arms, self._prior().version, count)
            await store.publish_model(scope, version, await asyncio.to_thread(model.encode), self.settings.ttl)
            self.fits.append((scope, n, time.perf_counter() - started))
            self._cache[scope] = _Cached(View(model, count, "learned"), time.monotonic())
            return model
        except StoreUnavailable:
            return None
        finally:
            if locked:
                try:
                    await store.unlock(scope)
                except StoreUnavailable:
                    pass
            self._refitting.discard(scope)

    def _fit(
        self, spec: Scope, raw: dict[str, list[str]], previous: LearnedModel | None
    ) -> tuple[dict[str, ArmModel], int]:
        """Every arm's model from its stored records (in a worker thread: pure CPU, no event loop)."""
        horizon = self._clock() - self.settings.ttl
        arms: dict[str, ArmModel] = {}
        total = 0
        for arm, records in sorted(raw.items()):
            decoded = [r for r in map(LabelRecord.decode, reversed(records)) if r is not None and r.at >= horizon]
            if not decoded:
                continue
            examples = [Example(r.features, r.y, spec.prior.offset(arm, r.features)) for r in decoded]
            arms[arm] = fit_arm(examples, previous.arms.get(arm) if previous else None)
            total += len(examples)
        return arms, total

    async def _published(self, store: LearningStore, scope: str) -> LearnedModel | None:
        raw = await store.read_model(scope)
        if raw is None:
            return None
        try:
            return await asyncio.to_thread(LearnedModel.decode, raw)
        except ValueError:
            return None  # foreign or corrupt: ignored, overwritten by the next refit

    async def _refresh(self, scope: str) -> None:
        cached = self._cache.setdefault(scope, _Cached(View(None, 0, "prior")))
        store = self._store_or_none()
        try:
            if store is None:
                raise StoreUnavailable("no Redis configured")
            version, count = await store.model_version(scope), await store.label_count(scope)
            model = cached.view.model
            if version and (model is None or model.version != version):
                model = await self._published(store, scope)
            elif not version:
                model = None
            cached.view = View(model, count, "learned" if model is not None else "prior")
        except StoreUnavailable:
            cached.view = View(None, 0, "unavailable")
        cached.checked = time.monotonic()
