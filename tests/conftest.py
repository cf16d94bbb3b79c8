"""Shared fixtures: one fake upstream per session, one real proxy per test module."""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never fetch LiteLLM's price map in tests

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from fake_upstream import FakeUpstream
from proxy_harness import ProxyProcess
from redis_harness import RedisServer

# A trivial and a hard prompt, far apart on the routing classifier's difficulty scale.
EASY = "hi"
HARD = (
    "Prove that for every prime p > 3, p^2 - 1 is divisible by 24, then determine all integers n such that "
    "n^2 - 1 is divisible by 24. Give a rigorous proof using modular arithmetic and the Chinese remainder "
    "theorem, then write an efficient Python function that verifies the claim for all n up to 10^7 and "
    "analyse its time complexity."
)

FUSION_WIRING = {
    "custom_provider_map": [{"provider": "fusion", "custom_handler": "litellm_fusion.fusion_handler"}],
    "callbacks": ["litellm_fusion.fusion_callbacks", "prometheus", "spend_capture.capture"],
}


@pytest.fixture(scope="session")
def upstream() -> Iterator[FakeUpstream]:
    server = FakeUpstream().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server for one test module."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(proxy: ProxyProcess) -> Any:
    """The openai SDK against the module's `proxy` fixture."""
    return proxy.openai_client()


@pytest.fixture(autouse=True)
def _fresh_upstream(request: pytest.FixtureRequest) -> None:
    if "upstream" in request.fixturenames:
        request.getfixturevalue("upstream").reset()


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)  # sleep-ok: bounded polling for an asynchronous write by the proxy


_SAMPLE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)$')
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def metric_samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """Samples of one metric from Prometheus text format: [(labels, value)]."""
    out = []
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if m and m.group("name") == name:
            out.append((dict(_LABEL.findall(m.group("labels") or "")), float(m.group("value"))))
    return out


def metric_sum(text: str, name: str, **match: str) -> float:
    return sum(v for labels, v in metric_samples(text, name) if all(labels.get(k) == val for k, val in match.items()))
