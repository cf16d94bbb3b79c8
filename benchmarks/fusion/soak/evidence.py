"""What a soak run left behind, indexed for the checks: the upstream's calls by request tag, the spend rows by
request id (the cold-start requests set aside)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from tests.support.fake_upstream import FakeUpstream, Seen

from .faults import Faults, tag_of


@dataclass
class Evidence:
    state: dict[str, Any]  # what the run recorded (run._drive)
    upstream: FakeUpstream
    faults: Faults
    rows: list[dict[str, Any]]  # the spend rows of the run
    by_tag: dict[str, list[Seen]]  # request tag -> the upstream calls made for it
    rows_by_id: dict[str, list[dict[str, Any]]]  # request id -> its spend rows


def gather(state: dict[str, Any], upstream: FakeUpstream, faults: Faults, rows: list[dict[str, Any]]) -> Evidence:
    by_tag: dict[str, list[Seen]] = defaultdict(list)
    for s in list(upstream.seen):
        t = tag_of(s.body)
        if t is not None:
            by_tag[t].append(s)
    rows_by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
    cold_start = state.get("cold_start_rows") or set()
    for r in rows:
        if r.get("request_id") not in cold_start:  # the cold-start requests, made before anything is measured
            rows_by_id[str(r.get("request_id"))].append(r)
    return Evidence(state, upstream, faults, rows, by_tag, rows_by_id)
