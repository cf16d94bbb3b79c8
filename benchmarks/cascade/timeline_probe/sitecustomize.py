"""Timing probe loaded into a benchmark's proxy (benchmarks/cascade/timeline.py puts this folder on its PYTHONPATH).

It stamps, with time.perf_counter, the steps of each fusion request inside the proxy process: the handler's entry
and exit, each inner call's start and end in the engine, the Router call around it, the provider's HTTP request
inside LiteLLM, and LiteLLM's success logging of each call. SIGUSR1 writes the stamps to $FUSION_TIMELINE as JSON
lines. Patches are applied as the modules are imported; one that no longer matches LiteLLM is skipped.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.util
import json
import os
import signal
import sys
import time
from typing import Any

OUT = os.environ.get("FUSION_TIMELINE")
EVENTS: list[tuple[float, str, str | None]] = []


def stamp(name: str, tag: str | None = None) -> None:
    EVENTS.append((time.perf_counter(), name, tag))


def dump(*_: Any) -> None:
    with open(str(OUT), "w") as f:
        f.writelines(json.dumps(e) + "\n" for e in EVENTS)


def wrap(owner: Any, attr: str, label: str, tag: Any = None) -> None:
    original = getattr(owner, attr, None)
    if original is None:
        return

    @functools.wraps(original)
    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        name = tag(args, kwargs) if tag else None
        stamp(label + ">", name)
        try:
            return await original(*args, **kwargs)
        finally:
            stamp(label + "<", name)

    setattr(owner, attr, wrapped)


def _logged_model(args: Any, _: Any) -> str | None:
    details = getattr(args[0], "model_call_details", {}) or {}
    metadata = (details.get("litellm_params") or {}).get("metadata") or {}
    return details.get("model") if "litellm_fusion_inner_call" in metadata else "outer"


def patch(name: str, module: Any) -> None:
    if name == "litellm_fusion.engine.calls":
        wrap(module, "timed_call", "call", lambda a, k: k.get("model"))
    elif name == "litellm_fusion.adapter.proxy_access.router_caller":
        original = module.RouterCaller._call

        def _call(self: Any, model: str, *args: Any, **kwargs: Any) -> Any:
            async def timed() -> Any:
                stamp("router>", model)
                try:
                    return await original(self, model, *args, **kwargs)
                finally:
                    stamp("router<", model)

            return timed()

        module.RouterCaller._call = _call
    elif name == "litellm_fusion.adapter.fusion.handler":
        wrap(module.FusionHandler, "acompletion", "handler")
    elif name == "litellm.llms.openai.openai":
        wrap(
            module.OpenAIChatCompletion,
            "make_openai_chat_completion_request",
            "http",
            lambda a, k: (k.get("data") or {}).get("model"),
        )
    elif name == "litellm.litellm_core_utils.litellm_logging":
        wrap(module.Logging, "async_success_handler", "logging", _logged_model)
    elif name == "litellm.proxy.proxy_server":
        signal.signal(signal.SIGUSR1, dump)


PATCHED = frozenset(
    {
        "litellm_fusion.engine.calls",
        "litellm_fusion.adapter.proxy_access.router_caller",
        "litellm_fusion.adapter.fusion.handler",
        "litellm.llms.openai.openai",
        "litellm.litellm_core_utils.litellm_logging",
        "litellm.proxy.proxy_server",
    }
)


class _PatchOnImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name not in PATCHED:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module: Any) -> None:
            execute(module)
            try:
                patch(name, module)
            except Exception as exc:  # noqa: BLE001 - a probe that no longer fits must not break the proxy
                print(f"timeline probe: {name} not patched ({exc})", file=sys.stderr)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if OUT:
    sys.meta_path.insert(0, _PatchOnImport())
