"""Test-only: let the soak harness look inside the proxy process, without touching product code.

Listed in a test config as `callbacks: [soak_probe.probe]` (tests/support/plugins is on PYTHONPATH). Importing
it adds `GET /soak/probe` to the proxy's FastAPI app (no auth; the proxy listens on 127.0.0.1 only),
answering with the serving process's pid and its asyncio tasks: how many, how many HTTP requests are
still being served, and how many tasks run litellm_fusion code at any depth of their await chain (a
panel or judge call, or anything fusion left behind). The CustomLogger itself does nothing.
"""

from __future__ import annotations

import asyncio
import collections
import os
from typing import Any

from litellm.integrations.custom_logger import CustomLogger
from litellm.proxy.proxy_server import app

FUSION_DIR = os.sep + "litellm_fusion" + os.sep


def _await_chain(task: asyncio.Task[Any]) -> list[Any]:
    """The coroutines/generators the task is suspended in, outermost first (bounded walk)."""
    chain, obj = [], task.get_coro()
    for _ in range(200):
        if obj is None:
            break
        chain.append(obj)
        nxt = None
        for attr in ("cr_await", "gi_yieldfrom", "ag_await"):
            nxt = getattr(obj, attr, None)
            if nxt is not None:
                break
        obj = nxt
    return chain


def _code_file(obj: Any) -> str:
    for attr in ("cr_code", "gi_code", "ag_code"):
        code = getattr(obj, attr, None)
        if code is not None:
            return code.co_filename
    return ""


def _name(obj: Any) -> str:
    return getattr(obj, "__qualname__", type(obj).__name__)


def snapshot() -> dict[str, Any]:
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    fusion: collections.Counter[str] = collections.Counter()
    by_name: collections.Counter[str] = collections.Counter()
    requests = 0
    for task in tasks:
        chain = _await_chain(task)
        top = _name(chain[0]) if chain else repr(task)
        by_name[top] += 1
        if top.endswith("run_asgi") or top == "with_proxy_compaction_executor":
            requests += 1
        fusion_frames = [_name(c) for c in chain if FUSION_DIR in _code_file(c)]
        if fusion_frames:
            fusion[fusion_frames[-1]] += 1  # innermost fusion frame: what it is waiting in
    from litellm.litellm_core_utils.streaming_handler import CustomStreamWrapper

    return {
        "pid": os.getpid(),
        # the plugin's guard replaced LiteLLM's stream finalizer (adapter/guards/stream_finalizer_guard.py)
        "stream_finalizer_guarded": bool(getattr(CustomStreamWrapper.__del__, "_litellm_fusion_no_context_set", False)),
        "tasks": len(tasks),
        "fusion_tasks": sum(fusion.values()),
        # HTTP requests still being served (uvicorn's per-request task, LiteLLM's LLM-call task),
        # not counting this probe's own request
        "requests_in_flight": requests,
        "fusion_frames": dict(fusion),
        "top_tasks": dict(by_name.most_common(12)),
    }


@app.get("/soak/probe", include_in_schema=False)
async def soak_probe() -> dict[str, Any]:
    return snapshot()


class SoakProbe(CustomLogger):
    pass


probe = SoakProbe()
