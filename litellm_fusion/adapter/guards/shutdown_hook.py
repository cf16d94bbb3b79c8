"""Run the plugin's own shutdown steps when the LiteLLM proxy shuts down.

LiteLLM has no shutdown hook for callbacks, and its server re-raises the SIGTERM it caught once its lifespan has
ended, so tasks still running are never cancelled by the event loop: the process just ends. The lifespan's
teardown awaits `litellm.proxy.proxy_server.proxy_shutdown_event` (looked up at call time), in every supported
version; it is wrapped once, so the registered steps run first (synchronously), then LiteLLM's own. Like the
Prometheus guard, a narrow patch of one LiteLLM function.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("litellm_fusion")

_MARK = "_litellm_fusion_shutdown_steps"


def on_proxy_shutdown(step: Callable[[], None]) -> bool:
    """Run `step()` when the proxy shuts down; False outside a proxy (nothing to hook)."""
    try:
        from litellm.proxy import proxy_server
    except Exception:  # noqa: BLE001 - not in a proxy
        return False
    original = getattr(proxy_server, "proxy_shutdown_event", None)
    if original is None:
        return False
    steps: list[Callable[[], None]] | None = getattr(original, _MARK, None)
    if steps is None:
        steps = []

        @functools.wraps(original)
        async def shutdown(*args: Any, **kwargs: Any) -> Any:
            for run in tuple(steps):
                try:
                    run()
                except Exception:
                    log.exception("litellm_fusion: a shutdown step failed")
            return await original(*args, **kwargs)

        setattr(shutdown, _MARK, steps)
        proxy_server.proxy_shutdown_event = shutdown  # type: ignore[attr-defined]
    if step not in steps:
        steps.append(step)
    return True
