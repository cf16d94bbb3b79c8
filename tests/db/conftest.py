"""The database tier: one real proxy in LiteLLM's database mode (its own database in the session's
Postgres cluster) for every module of tests/db, with fusion models, a routed group and Prometheus."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.db_proxy import DbProxy
from tests.support.proxy_fleet import Fleet


@pytest.fixture(scope="package")
def db_proxy(fleet: Fleet) -> Iterator[DbProxy]:
    """Declared by db_scenario.fleet_proxies, which each module imports."""
    with fleet.lease("db_tier") as proxy:
        yield proxy
