"""Evaluate a soak run: the counts, then the six checks (the package docstring says how each is computed)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.support.fake_upstream import FakeUpstream

from .check_replies import check_replies
from .check_resilience import check_disconnects, check_redis, check_resources
from .check_spend import check_spend
from .evidence import Evidence, gather
from .faults import Faults
from .report import SoakReport


def evaluate(
    report: SoakReport, state: dict[str, Any], upstream: FakeUpstream, faults: Faults, rows: list[dict[str, Any]]
) -> None:
    evidence = gather(state, upstream, faults, rows)
    count(report, evidence)
    found = check_replies(report, evidence)
    check_spend(report, evidence, found)
    check_resources(report, state)
    check_redis(report, evidence, found.wrong_tags)
    check_disconnects(report, state)


def count(report: SoakReport, evidence: Evidence) -> None:
    by_tag = evidence.by_tag
    results = report.results
    c = report.counts
    c["requests"] = len(results)
    c["by_model"] = dict(Counter(r.model for r in results))
    c["streaming"] = sum(r.stream for r in results)
    c["ok"] = sum(r.ok for r in results)
    c["errors"] = dict(Counter(str(r.status) for r in results if not r.ok))
    c["upstream_calls"] = sum(len(v) for k, v in by_tag.items() if not k.startswith("soakdc"))
    c["upstream_calls_by_status"] = dict(
        Counter(str(s.status) for k, v in by_tag.items() if not k.startswith("soakdc") for s in v)
    )
    lat = sorted(r.latency for r in results)
    c["latency_p50_s"] = round(lat[len(lat) // 2], 3)
    c["latency_max_s"] = round(lat[-1], 3)
    c["throughput_rps"] = round(
        len(results) / max(1e-9, max(r.t_end for r in results) - min(r.t_start for r in results)), 1
    )
