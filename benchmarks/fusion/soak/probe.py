"""What the proxy process looks like: its RSS and sockets (from /proc), its asyncio tasks (the soak_probe
callback), and waiting until it is idle."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from tests.support.fake_upstream import FakeUpstream
from tests.support.proxy_harness import ProxyProcess


def proxy_pid(proxy: ProxyProcess) -> int:
    return int(httpx.get(f"{proxy.base_url}/soak/probe", timeout=10).json()["pid"])


def probe(proxy: ProxyProcess) -> dict[str, Any]:
    return httpx.get(f"{proxy.base_url}/soak/probe", timeout=10).json()


def _tcp_table(pid: int) -> dict[str, tuple[int, int, str]]:
    """socket inode -> (local port, remote port, state) for the process's network namespace."""
    out = {}
    for name in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{name}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, remote, state, inode = parts[1], parts[2], parts[3], parts[9]
            out[inode] = (int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16), state)
    return out


def resources(pid: int, ports: dict[str, int]) -> dict[str, Any]:
    """RSS and sockets of the serving process, sockets split by peer (upstream, redis, client, other)."""
    rss_kb = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss_kb = int(line.split()[1])
    fds = list(Path(f"/proc/{pid}/fd").iterdir())
    inodes = []
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.append(target[8:-1])
    table = _tcp_table(pid)
    kinds: Counter[str] = Counter()
    for inode in inodes:
        entry = table.get(inode)
        if entry is None:
            kinds["non-tcp"] += 1
            continue
        local, remote, state = entry
        if state == "0A":
            kinds["listen"] += 1
        elif remote == ports["upstream"]:
            kinds["upstream"] += 1
        elif remote == ports["redis"]:
            kinds["redis"] += 1
        elif local == ports["proxy"]:
            kinds["client"] += 1
        else:
            kinds["other-tcp"] += 1
    return {"rss_mb": rss_kb / 1024, "fds": len(fds), "sockets": len(inodes), "by_peer": dict(kinds)}


async def quiesce(proxy: ProxyProcess, upstream: FakeUpstream, timeout: float = 30.0) -> dict[str, Any]:
    """Wait (bounded) until the upstream has nothing in flight and the proxy runs no fusion code."""
    deadline = time.monotonic() + timeout
    snap: dict[str, Any] = {}
    while time.monotonic() < deadline:
        snap = await asyncio.to_thread(probe, proxy)
        if upstream.in_flight == 0 and snap["fusion_tasks"] == 0 and snap["requests_in_flight"] == 0:
            snap["quiet"] = True
            return snap
        await asyncio.sleep(0.1)  # sleep-ok: bounded polling of another process's state
    snap["quiet"] = False
    snap["upstream_in_flight"] = upstream.in_flight
    return snap
