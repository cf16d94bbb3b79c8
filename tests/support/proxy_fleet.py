"""Every `litellm` proxy a test session needs, started together.

A proxy start is ~15-20 s of single-threaded CPU (importing LiteLLM's proxy), and modules used to start theirs one
after another, leaving the second core idle. Here each selected test module declares its proxies up front, in a
module-level `fleet_proxies(fleet)` function; the session's `fleet` fixture (tests/conftest.py) calls every selected
module's function, then starts all the declared proxies at once, `PARALLEL` at a time, and waits until every one
serves (or, for a config that must fail, has exited) before the first test that uses the fleet runs: no proxy starts
while a test runs. Each module then takes its own proxy (`fleet.proxy(name)`) and steers the session's fake upstream
per test, as before. A module that alone uses a proxy takes it with `fleet.lease(name)`, which stops it when the
module ends; every process the fleet started is stopped at the end of the session at the latest.

`fleet.share(origin, config)` contributes to the one *shared* proxy instead: the union of the contributing modules'
configs. Their model names must not overlap and their router, LiteLLM and general settings must be the same
(checked: a conflict fails the session's start naming both modules), so a module cannot tell it shares the proxy
as long as it identifies its own spend rows (by response id or `helpers.new_tag()`) and compares Prometheus
counters as deltas. A module that needs different settings (callbacks, general_settings, Redis, env) declares its
own proxy with `fleet.add`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from .fake_upstream import FakeUpstream
from .proxy_harness import ProxyProcess
from .redis_harness import RedisServer

PARALLEL = 3  # proxies starting at once: 2 cores, plus one to cover a start's waits (sockets, the database)
START_TIMEOUT = 240.0  # per proxy, from its own launch: a start is ~20 s alone (the database tier's ~45 s), slower
# while others start
SHARED = "shared"
MERGED_SETTINGS = ("router_settings", "litellm_settings", "general_settings")


class FleetError(RuntimeError):
    pass


def merge_configs(parts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One proxy config serving every part: {origin (a module name): its config}. Raises FleetError on a conflict:
    a model_name or routed group declared twice, or settings that are not the same in every part (absent included)."""
    merged: dict[str, Any] = {"model_list": []}
    owner: dict[str, str] = {}
    first = next(iter(parts), None)
    for origin, config in parts.items():
        unknown = set(config) - {"model_list", "litellm_fusion", *MERGED_SETTINGS}
        if unknown:
            raise FleetError(f"{origin}: cannot share a proxy with config keys {sorted(unknown)}")
        for entry in config.get("model_list", []):
            name = entry["model_name"]
            if owner.setdefault(name, origin) != origin:
                raise FleetError(f"model_name {name!r} is declared by both {owner[name]} and {origin}")
            merged["model_list"].append(entry)
        for key in MERGED_SETTINGS:
            if config.get(key) != parts[first].get(key):
                raise FleetError(f"{origin}: {key} {config.get(key)} differs from {first}'s {parts[first].get(key)}")
            if key in config:
                merged[key] = config[key]
        for key, value in (config.get("litellm_fusion") or {}).items():
            section = merged.setdefault("litellm_fusion", {})
            if key == "routing":
                clash = set(section.get("routing", {})) & set(value)
                if clash:
                    raise FleetError(f"{origin}: routed groups {sorted(clash)} declared twice")
                section.setdefault("routing", {}).update(value)
            elif section.setdefault(key, value) != value:
                raise FleetError(f"{origin}: litellm_fusion.{key} differs from another sharing module's")
    return merged


class Fleet:
    def __init__(self, request: pytest.FixtureRequest, upstream: FakeUpstream) -> None:
        self.upstream = upstream
        self._request = request
        self._tmp = request.getfixturevalue("tmp_path_factory")
        self._members: dict[str, Any] = {}  # name -> what fleet.proxy(name) returns (a ProxyProcess or a wrapper)
        self._processes: dict[str, ProxyProcess] = {}  # name -> the process to start
        self._failing: set[str] = set()  # names whose start-up must fail
        self._exits: dict[str, tuple[int, str]] = {}
        self._errors: dict[str, str] = {}
        self._shared: dict[str, dict[str, Any]] = {}
        self._redis: dict[str, RedisServer] = {}
        self._cancelling: FakeUpstream | None = None

    # ---- declaring (from the modules' fleet_proxies(fleet)) ----
    def workdir(self, name: str) -> Any:
        return self._tmp.mktemp(name.replace("/", "-"))

    def add(self, name: str, config: dict[str, Any], **options: Any) -> None:
        """A proxy of its own (`options`: ProxyProcess's spend_log and env)."""
        self.add_process(name, ProxyProcess(config, self.workdir(name), **options))

    def add_process(self, name: str, member: Any, process: ProxyProcess | None = None) -> None:
        """`member` (returned by `proxy(name)`) is started as `process` (default: the member itself)."""
        if name in self._members:
            raise FleetError(f"proxy {name!r} declared twice")
        self._members[name] = member
        self._processes[name] = process or member

    def add_failing(self, name: str, config: dict[str, Any]) -> None:
        """A config whose proxy must refuse to start: `exit_of(name)` gives its exit code and output."""
        self.add(name, config, spend_log=False)
        self._failing.add(name)

    def share(self, origin: str, config: dict[str, Any]) -> None:
        """Contribute `config` (models, and the same settings as every other contributor) to the shared proxy."""
        self._shared[origin] = config

    def redis(self, name: str) -> RedisServer:
        """A real redis-server of the fleet (started now: its port goes into configs), one per name."""
        if name not in self._redis:
            self._redis[name] = RedisServer(self.workdir(f"redis-{name}")).start()
        return self._redis[name]

    def resource(self, fixture: str) -> Any:
        """A session-scoped fixture a proxy depends on (e.g. `postgres`)."""
        return self._request.getfixturevalue(fixture)

    def cancelling_upstream(self) -> FakeUpstream:
        """A second fake upstream that cancels a request's handler when its client hangs up (disconnect tests)."""
        if self._cancelling is None:
            self._cancelling = FakeUpstream(handler_cancellation=True).start()
        return self._cancelling

    # ---- using ----
    def proxy(self, name: str) -> Any:
        if name in self._errors:
            pytest.fail(f"proxy {name!r} did not start: {self._errors[name]}", pytrace=False)
        if name not in self._members or name in self._failing:
            raise FleetError(f"no serving proxy {name!r} was declared by a selected module's fleet_proxies()")
        return self._members[name]

    @contextmanager
    def lease(self, name: str) -> Iterator[Any]:
        """`proxy(name)` for a module (or package) fixture, stopped when the fixture ends rather than idling until
        the end of the session."""
        member = self.proxy(name)
        try:
            yield member
        finally:
            member.stop()

    def shared(self) -> ProxyProcess:
        return self.proxy(SHARED)

    def exit_of(self, name: str) -> tuple[int, str]:
        if name in self._errors:
            pytest.fail(f"proxy {name!r}: {self._errors[name]}", pytrace=False)
        return self._exits[name]

    # ---- starting and stopping ----
    def start(self) -> None:
        if self._shared:
            self.add(SHARED, merge_configs(self._shared))
        pending = list(self._processes)
        starting: dict[str, float] = {}
        with httpx.Client(timeout=1) as client:
            while pending or starting:
                while pending and len(starting) < PARALLEL:
                    name = pending.pop(0)
                    self._processes[name].launch()
                    starting[name] = time.monotonic()
                for name, launched in list(starting.items()):
                    if self._settled(name, client, launched):
                        del starting[name]
                time.sleep(0.2)  # sleep-ok: polling the starting subprocesses, each bounded by START_TIMEOUT

    def _settled(self, name: str, client: httpx.Client, launched: float) -> bool:
        process = self._processes[name]
        try:
            if name in self._failing:
                result = process.exit_result()
                if result is not None:
                    self._exits[name] = result
                    return True
                if process.poll_ready(client):
                    raise RuntimeError(f"it started, but its config must stop it:\n{process.log_tail()}")
            elif process.poll_ready(client):
                return True
            if time.monotonic() - launched > START_TIMEOUT:
                raise RuntimeError(f"not settled in {START_TIMEOUT}s:\n{process.log_tail()}")
            return False
        except RuntimeError as exc:
            process.stop()
            self._errors[name] = str(exc)
            return True

    def stop(self) -> None:
        """Stop every proxy (together: each may take its grace period to exit), then the Redis servers and the
        cancelling upstream."""
        try:
            with ThreadPoolExecutor(max_workers=max(1, len(self._members))) as pool:
                for done in [pool.submit(member.stop) for member in self._members.values()]:
                    done.result()
        finally:
            for server in self._redis.values():
                server.stop()
            if self._cancelling is not None:
                self._cancelling.stop()


def declarations(session: pytest.Session) -> list[Callable[[Fleet], None]]:
    """The `fleet_proxies` functions of the selected test modules, in test order, each once."""
    found: list[Callable[[Fleet], None]] = []
    for item in session.items:
        declare = getattr(getattr(item, "module", None), "fleet_proxies", None)
        if declare is not None and declare not in found:
            found.append(declare)
    return found
