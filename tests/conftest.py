"""Shared fixtures for every tier (unit, proxy, db, browser): one fake upstream per session, a real Postgres
cluster per session, the fleet of proxies (and their redis-servers) the selected modules declare, started together,
the openai client of a module's proxy.
Harnesses live in tests/support/."""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never fetch LiteLLM's price map in tests

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.fake_upstream import FakeUpstream
from tests.support.postgres_harness import PostgresCluster
from tests.support.proxy_fleet import Fleet, declarations
from tests.support.proxy_harness import ProxyProcess, unexpected_deaths


@pytest.fixture(scope="session")
def upstream() -> Iterator[FakeUpstream]:
    server = FakeUpstream().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A real Postgres cluster for the session (db and browser tiers); each proxy gets its own database."""
    with PostgresCluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def fleet(request: pytest.FixtureRequest, upstream: FakeUpstream) -> Iterator[Fleet]:
    """Every proxy the selected modules declare (their `fleet_proxies(fleet)`), started together before the first
    test that uses one (tests/support/proxy_fleet.py); all stopped at the end of the session."""
    proxies = Fleet(request, upstream)
    try:
        for declare in declarations(request.session):
            declare(proxies)
        proxies.start()
        yield proxies
    finally:
        proxies.stop()


@pytest.fixture(scope="module")
def client(proxy: ProxyProcess) -> Any:
    """The openai SDK against the module's `proxy` fixture."""
    return proxy.openai_client()


@pytest.fixture(autouse=True)
def _fresh_upstream(request: pytest.FixtureRequest) -> None:
    if "upstream" in request.fixturenames:
        request.getfixturevalue("upstream").reset()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failure's report names every proxy that died mid-session (exit code or signal, and its log's tail)."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for death in unexpected_deaths():
            report.sections.append(("a proxy died", death))
