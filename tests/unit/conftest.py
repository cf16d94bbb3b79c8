"""Fixtures shared by the unit tests of the Redis stores (judge cache, audit counts, learning): fakeredis speaking
the Redis protocol on loopback, so LiteLLM's RedisCache connects to it as to Redis (unit tests only; the proxy
tier uses a real redis-server)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import redis

from tests.support.proxy_harness import free_port


@pytest.fixture(scope="module")
def tcp_fake() -> Iterator[tuple[str, int]]:
    from fakeredis import TcpFakeServer

    server = TcpFakeServer(("127.0.0.1", free_port()), server_type="redis")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture()
def raw(tcp_fake: tuple[str, int]) -> redis.Redis:
    """A client of the fake, emptied for the test."""
    client = redis.Redis(host=tcp_fake[0], port=tcp_fake[1], decode_responses=True)
    client.flushall()
    return client
