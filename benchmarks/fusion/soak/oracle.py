"""The oracle: what each fusion reply must be, rebuilt from the calls the fake upstream saw for its request."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from tests.support.fake_upstream import Seen

from .faults import GARBAGE, Faults, judge_candidates, round_of
from .workload import FUSION, PANEL


@dataclass
class Expected:
    error: bool = False
    answer: str | None = None
    outcome: str | None = None  # judge: ok / fallback / skipped
    answered: int = 0
    rounds: int = 1
    failed_members: list[str] = field(default_factory=list)
    member_calls: list[tuple[str, int, bool]] = field(default_factory=list)  # (model, round, ok) per call
    judge_called: bool = False
    problems: list[str] = field(default_factory=list)


def ok_call(s: Seen) -> bool:
    return s.status == 200 and s.finished is not None and not s.cancelled


def _expect_round(
    exp: Expected,
    by: dict[tuple[str, int], list[Seen]],
    members: list[str],
    rnd: int,
    latest: dict[str, str],
    faults: Faults,
) -> list[str]:
    """Check each member was called once in round `rnd`; record its call; update `latest` with the
    answers of those that succeeded. Returns the members whose call failed."""
    failed = []
    for m in members:
        seen = by.get((m, rnd), [])
        if len(seen) != 1:
            exp.problems.append(f"{m} round {rnd} called {len(seen)} times")
            continue
        good = ok_call(seen[0])
        exp.member_calls.append((m, rnd, good))
        if good:
            latest[m] = faults.member_text(m)(seen[0].body)
        else:
            failed.append(m)
    return failed


def oracle(model: str, calls: list[Seen], faults: Faults) -> Expected:
    """What the reply must be, given what the upstream did for this request's calls."""
    mode, min_panel = FUSION[model]
    exp = Expected()
    by = defaultdict(list)
    for s in calls:
        key = ("judge", 0) if s.model == "judge" else (s.model, round_of(s.body))
        by[key].append(s)
    latest: dict[str, str] = {}
    exp.failed_members = _expect_round(exp, by, PANEL, 1, latest, faults)
    exp.answered = len(latest)
    if exp.answered < min_panel:
        exp.error = True
        if by.get(("judge", 0)):
            exp.problems.append("judge called although too few members answered")
        return exp
    if mode == "debate" and len(latest) >= 2:
        exp.rounds = 2
        _expect_round(exp, by, [m for m in PANEL if m in latest], 2, latest, faults)
    for m in PANEL:
        if by.get((m, 2)) and (mode != "debate" or exp.rounds == 1):
            exp.problems.append(f"{m} got an unexpected round-2 call")
    cands = [latest[m] for m in PANEL if m in latest]
    judges = by.get(("judge", 0), [])
    if len(cands) == 1:
        exp.outcome, exp.answer = "skipped", cands[0]
        if judges:
            exp.problems.append("judge called with a single candidate")
        return exp
    if len(judges) != 1:
        exp.problems.append(f"judge called {len(judges)} times")
        exp.outcome, exp.answer = "fallback", cands[0]
        return exp
    exp.judge_called = True
    judge = judges[0]
    if judge_candidates(judge.body) != cands:
        exp.problems.append(f"judge saw {judge_candidates(judge.body)}, expected {cands}")
    text = faults.judge_text(judge.body) if ok_call(judge) else None
    if text is None or text == "" or text == GARBAGE:
        exp.outcome, exp.answer = "fallback", cands[0]
    elif mode == "best-of":
        exp.outcome, exp.answer = "ok", cands[json.loads(text)["winner"] - 1]
    else:
        exp.outcome, exp.answer = "ok", text
    return exp


def fusion_meta(row: dict[str, Any]) -> dict[str, Any]:
    meta = row.get("metadata")
    meta = json.loads(meta) if isinstance(meta, str) else (meta or {})
    return (meta.get("spend_logs_metadata") or {}).get("fusion") or {}
