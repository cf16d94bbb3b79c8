"""Fixtures shared by the unit tests of the Redis stores (judge cache, audit counts, learning): fakeredis speaking
the Redis protocol on loopback, so LiteLLM's RedisCache connects to it as to Redis (unit tests only; the proxy
tier uses a real redis-server)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
import redis

from tests.support.proxy_harness import free_port


@contextmanager
def fake_redis_server() -> Iterator[tuple[str, int]]:
    """A fakeredis TCP server on loopback, shut down when the block ends: (host, port)."""
    from fakeredis import TcpFakeServer

    server = TcpFakeServer(("127.0.0.1", free_port()), server_type="redis")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def tcp_fake() -> Iterator[tuple[str, int]]:
    with fake_redis_server() as address:
        yield address


@pytest.fixture()
def vanishing_redis() -> Callable[[], AbstractContextManager[tuple[str, int]]]:
    """A Redis of the test's own that goes away when its block ends: a store built inside the block (LiteLLM's
    RedisCache pings at construction, and against a closed port that ping waits out redis-py's ~9 s of retries)
    then finds Redis down, as after the proxy started."""
    return fake_redis_server


@pytest.fixture()
def raw(tcp_fake: tuple[str, int]) -> redis.Redis:
    """A client of the fake, emptied for the test."""
    client = redis.Redis(host=tcp_fake[0], port=tcp_fake[1], decode_responses=True)
    client.flushall()
    return client
