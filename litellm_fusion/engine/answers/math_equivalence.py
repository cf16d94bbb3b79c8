"""Math answers compared by value with HuggingFace's math-verify (LaTeX and plain forms parsed to sympy), off the
event loop and bounded in time.

sympy runs in a worker process of its own (math_worker.py), not in the proxy: a slow simplification cannot take
the proxy's CPU or its interpreter lock, and one that runs away is killed. math-verify's own timeouts use signals,
which work only in a main thread, so they are off; the bounds are ours:
- each comparison is awaited at most `TIMEOUT_S` (then it is undecided; the worker's answer, when it comes, is
  still cached for the next time);
- at most `MAX_QUEUED` comparisons wait at once (more are undecided at once);
- a comparison the worker has not answered after `KILL_AFTER_S` gets the worker killed; the next one starts a new
  worker (as does the first: importing math-verify and sympy and warming them up takes a few seconds, during
  which comparisons are undecided unless they may wait that long);
- expressions longer than `MAX_CHARS` are not compared.
The worker is spoken to from one thread of the proxy, which only waits on the worker's pipe.
"""

from __future__ import annotations

import asyncio
import json
import select
import subprocess
import sys
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TIMEOUT_S = 0.05  # one comparison, as the caller waits for it
KILL_AFTER_S = 2.0  # a comparison the worker takes longer than this kills it
START_TIMEOUT_S = 30.0  # starting the worker: importing math-verify and sympy, warming up
MAX_CHARS = 200
MAX_QUEUED = 8
CACHE_SIZE = 4096
WORKER = Path(__file__).with_name("math_worker.py")

_io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fusion-math")  # talks to the worker, one at a time
_cache: OrderedDict[tuple[str, str], bool | None] = OrderedDict()
_cache_lock = threading.Lock()
_queued = 0
_worker: subprocess.Popen[str] | None = None


def _cached(key: tuple[str, str]) -> tuple[bool, bool | None]:
    with _cache_lock:
        return (True, _cache[key]) if key in _cache else (False, None)


def _remember(key: tuple[str, str], result: bool | None) -> None:
    with _cache_lock:
        _cache[key] = result
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def _readline(proc: subprocess.Popen[str], timeout: float) -> str | None:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    return proc.stdout.readline() if ready else None


def _kill() -> None:
    global _worker
    if _worker is not None:
        _worker.kill()
        _worker.wait()
        _worker = None


def _started() -> subprocess.Popen[str] | None:
    """The worker, started (and warmed up) if it is not running; None if it cannot start."""
    global _worker
    if _worker is not None and _worker.poll() is None:
        return _worker
    _kill()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-P", str(WORKER)],  # -P: its folder (numbers.py!) is not put on sys.path
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
    except OSError:
        return None
    _worker = proc
    line = _readline(proc, START_TIMEOUT_S)
    if not line or not json.loads(line).get("ready"):
        _kill()
        return None
    return proc


def _compare_in_worker(a: str, b: str) -> bool | None:
    """True/False when math-verify decides, None when it cannot. Runs in the I/O thread."""
    key = (a, b) if a <= b else (b, a)
    found, result = _cached(key)
    if found:
        return result
    proc = _started()
    if proc is None or proc.stdin is None:
        return None
    try:
        proc.stdin.write(json.dumps({"a": a, "b": b}) + "\n")
        proc.stdin.flush()
        line = _readline(proc, KILL_AFTER_S)
        result = json.loads(line)["same"] if line else None
    except (OSError, ValueError, KeyError):
        line, result = None, None
    if not line:
        _kill()  # it did not answer in time (or died): the next comparison starts a new one
        return None  # not remembered: another time it may be answered
    _remember(key, result)
    return result


async def equivalent(a: str, b: str) -> bool | None:
    """Whether two math answers have the same value: True, False, or None when it cannot be told in time."""
    global _queued
    if len(a) > MAX_CHARS or len(b) > MAX_CHARS:
        return None
    key = (a, b) if a <= b else (b, a)
    found, result = _cached(key)
    if found:
        return result
    if _queued >= MAX_QUEUED:
        return None
    _queued += 1
    try:
        work = asyncio.wrap_future(_io.submit(_compare_in_worker, a, b))
        return await asyncio.wait_for(asyncio.shield(work), TIMEOUT_S)
    except TimeoutError:
        return None
    finally:
        _queued -= 1


async def start(timeout: float = START_TIMEOUT_S) -> bool:
    """Start the worker now and wait until it is ready (a benchmark measuring comparisons, not the start-up)."""
    started = asyncio.wrap_future(_io.submit(_started))
    try:
        return await asyncio.wait_for(started, timeout) is not None
    except TimeoutError:
        return False


def stop() -> None:
    """Stop the worker (it also exits when the proxy does: its input closes)."""
    _io.submit(_kill).result(timeout=10)
