"""Test-only: measure how long the proxy's event loop stalls, and whose code stalled it.

Listed in a test config as `callbacks: [loop_lag.probe]` (tests/support/plugins is on PYTHONPATH). Importing it
adds `GET /loop-lag/report` and `POST /loop-lag/reset` to the proxy's FastAPI app (no auth; the proxy listens on
127.0.0.1 only) and starts, on the proxy's loop, a task that sleeps `PERIOD` seconds at a time: how late each
wake-up comes is the loop's lag. A watchdog thread looks at the loop thread's Python stack whenever the heartbeat is
more than `STALE` late, so each stall is attributed: the share of a stall during which the loop thread was seen
running litellm_fusion code (the innermost frame outside the standard library) is the plugin's. The CustomLogger itself does nothing.

A stall inside one C call that holds the GIL throughout (e.g. a regex or json.loads on a huge string) is sampled once
the call returns, still within the stall, in the Python frame that made the call: attributed to that frame.
"""

from __future__ import annotations

import asyncio
import collections
import os
import sys
import sysconfig
import threading
import time
from typing import Any

from litellm.integrations.custom_logger import CustomLogger
from litellm.proxy.proxy_server import app

PERIOD = 0.002  # the heartbeat task's sleep
STALE = 0.004  # the watchdog samples the loop thread's stack once the heartbeat is this late
STALL = 0.010  # lags at least this long are recorded one by one
FUSION_DIR = os.sep + "litellm_fusion" + os.sep
STDLIB = sysconfig.get_paths()["stdlib"]
SITE = os.sep + "site-packages" + os.sep
KEPT = 25  # the longest stalls kept, with their frames


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.heartbeat = time.perf_counter()
        self.loop_thread: int | None = None
        self.task: asyncio.Task[Any] | None = None
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.samples: list[tuple[bool, str]] = []  # (fusion code on the stack, where) since the last beat
            self.max_lag = 0.0
            self.max_plugin = 0.0
            self.max_by_area: dict[str, float] = {}
            self.wakeups = 0
            self.stalls: list[dict[str, Any]] = []
            self.own_stalls: list[dict[str, Any]] = []
            self.since = time.time()


STATE = _State()


def _is_stdlib(path: str) -> bool:
    return path.startswith((STDLIB, "<")) and SITE not in path


def _where(frame: Any) -> tuple[bool, str]:
    """Whose code the loop thread is running: the innermost frame outside the standard library decides (plugin code
    calling json.loads is the plugin's; LiteLLM code awaited inside a plugin coroutine is LiteLLM's). Returns
    (the plugin's, that frame)."""
    innermost = f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_code.co_name}"
    while frame is not None:
        path = frame.f_code.co_filename
        if not _is_stdlib(path):
            plugin = FUSION_DIR in path
            where = path.split(FUSION_DIR, 1)[1] if plugin else os.path.basename(path)
            return plugin, f"{where}:{frame.f_code.co_name}:{frame.f_lineno} (in {innermost})"
        frame = frame.f_back
    return False, innermost


def _area(where: str) -> str:
    """The part of the plugin a frame is in: engine/answers (the answer extraction), else its top-level package."""
    return "engine/answers" if where.startswith("engine/answers/") else where.split("/", 1)[0].split(".py", 1)[0]


def _watchdog() -> None:
    while True:
        time.sleep(0.001)  # sleep-ok: the sampling period of a measuring thread
        if STATE.loop_thread is None or time.perf_counter() - STATE.heartbeat < STALE:
            continue
        frame = sys._current_frames().get(STATE.loop_thread)
        if frame is not None:
            sample = _where(frame)
            with STATE.lock:
                if len(STATE.samples) < 10_000:
                    STATE.samples.append(sample)


async def _beat() -> None:
    STATE.loop_thread = threading.get_ident()
    while True:
        started = time.perf_counter()
        await asyncio.sleep(PERIOD)
        now = time.perf_counter()
        lag = now - started - PERIOD
        STATE.heartbeat = now
        with STATE.lock:
            samples, STATE.samples = STATE.samples, []
            STATE.wakeups += 1
            STATE.max_lag = max(STATE.max_lag, lag)
            if lag < STALL:
                continue
            plugin = [where for fusion, where in samples if fusion]
            # the plugin's share of the stall: the share of the stack samples that showed its code
            share = len(plugin) / len(samples) if samples else 0.0
            STATE.max_plugin = max(STATE.max_plugin, lag * share)
            areas = collections.Counter(_area(where) for where in plugin)
            for area, count in areas.items():
                ms = lag * 1000 * count / len(samples)
                STATE.max_by_area[area] = max(STATE.max_by_area.get(area, 0.0), ms)
            STATE.stalls.append(
                {
                    "lag_ms": round(lag * 1000, 2),
                    "plugin_ms": round(lag * share * 1000, 2),
                    "plugin_ms_by_area": {a: round(lag * 1000 * c / len(samples), 2) for a, c in areas.items()},
                    "samples": len(samples),
                    "plugin_frames": sorted(set(plugin))[:5],
                    "other_frames": sorted({where for fusion, where in samples if not fusion})[:5],
                }
            )
            STATE.stalls.sort(key=lambda s: -s["lag_ms"])
            del STATE.stalls[KEPT:]
            # and apart, the stalls with the largest plugin share outside the answer extraction (engine/answers)
            own = [where for where in plugin if _area(where) != "engine/answers"]
            if own:
                STATE.own_stalls.append(
                    {
                        "own_ms": round(lag * 1000 * len(own) / len(samples), 2),
                        "lag_ms": round(lag * 1000, 2),
                        "frames": sorted(set(own))[:5],
                    }
                )
                STATE.own_stalls.sort(key=lambda s: -s["own_ms"])
                del STATE.own_stalls[KEPT:]


def _start() -> None:
    if STATE.task is None or STATE.task.done():
        STATE.heartbeat = time.perf_counter()
        STATE.task = asyncio.get_running_loop().create_task(_beat())


@app.get("/loop-lag/report", include_in_schema=False)
async def loop_lag_report() -> dict[str, Any]:
    _start()
    with STATE.lock:
        return {
            "pid": os.getpid(),
            "since": STATE.since,
            "wakeups": STATE.wakeups,
            "max_lag_ms": round(STATE.max_lag * 1000, 2),
            "max_plugin_stall_ms": round(STATE.max_plugin * 1000, 2),
            "max_plugin_stall_ms_by_area": {a: round(ms, 2) for a, ms in sorted(STATE.max_by_area.items())},
            "stalls": list(STATE.stalls),
            "plugin_stalls_outside_answers": list(STATE.own_stalls),
        }


@app.post("/loop-lag/reset", include_in_schema=False)
async def loop_lag_reset() -> dict[str, Any]:
    _start()
    STATE.reset()
    return {"ok": True}


class LoopLagProbe(CustomLogger):
    pass


threading.Thread(target=_watchdog, name="loop-lag-watchdog", daemon=True).start()
try:
    _start()
except RuntimeError:  # imported outside the running loop: the first report or reset starts it
    pass
probe = LoopLagProbe()
