"""The hostile-input tier: parsers under property tests (no proxy), and one real proxy running config.example.yaml on
the fake upstream (tests/support/hostile_fleet.py) for adversarial answers, malformed requests and a mixed burst.

The proxy carries the loop-lag probe (tests/support/plugins/loop_lag.py). With $FUSION_LOOP_LAG_REPORT set, the
probe's report of the whole tier (the longest event-loop stalls and whose code caused them) is written there when the
tier ends: `python -m benchmarks.hostile_stall` runs the tier that way and summarises it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.hostile_fleet import NAME
from tests.support.proxy_fleet import Fleet
from tests.support.proxy_harness import ProxyProcess


@pytest.fixture(scope="session")
def hostile(fleet: Fleet) -> Iterator[ProxyProcess]:
    proxy = fleet.proxy(NAME)
    report = os.environ.get("FUSION_LOOP_LAG_REPORT")
    if report:
        httpx.post(f"{proxy.base_url}/loop-lag/reset", timeout=10).raise_for_status()
    yield proxy
    if report:
        found = httpx.get(f"{proxy.base_url}/loop-lag/report", timeout=10).json()
        Path(report).write_text(json.dumps(found, indent=1))
