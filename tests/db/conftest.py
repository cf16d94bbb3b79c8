"""The database tier: one real proxy in LiteLLM's database mode (its own database in the session's
Postgres cluster) for every module of tests/db, with fusion models, a routed group and Prometheus."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from db_proxy import DbProxy
from db_scenario import db_config
from fake_upstream import FakeUpstream
from postgres_harness import PostgresCluster


@pytest.fixture(scope="package")
def db_proxy(postgres: PostgresCluster, upstream: FakeUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DbProxy]:
    with DbProxy(postgres, db_config(upstream.base_url), tmp_path_factory.mktemp("db-proxy"), "db_tier") as proxy:
        yield proxy
