"""Keep LiteLLM's stream finalizer from crashing the proxy on Python 3.11.

LiteLLM (1.102.4 – 1.108.7) gives `CustomStreamWrapper` a `__del__` that restores its call's correlation ids
(`trace_id_var` / `session_id_var`, two context variables) in the context current when the wrapper is collected, if
that context still holds the call's ids: on 1.108 with `request_correlation_in_logs` off (its default) that is any
context, where the values set are the defaults they already read as; on 1.102 (ids always stamped), the call's own
task. Whatever the values, the set itself is the hazard: before Python 3.12 the cyclic garbage collector runs on
allocation, so a stream caught in a reference cycle can be finalized in the middle of another context-variable
operation, and a `ContextVar.set` from that finalizer frees the context's mapping while that operation still walks
it (CPython gh-148891: a use-after-free in `Python/hamt.c`). The process dies of SIGSEGV in `hamt_node_without` /
`hamt_node_bitmap_assoc`; it happened once in CI, to a test proxy under the soak's load (streams, hung members,
clients that hang up). Python 3.12 collects only at safe points, so this is installed on 3.11 alone.

The guard replaces that `__del__`, once, at class level, with one that does not touch context variables. What is
lost: where LiteLLM stamps correlation ids (1.102 always; 1.108 with `request_correlation_in_logs: true`), a stream
its caller abandons no longer restores the previous correlation ids in the task that made it, so that task's later
log lines (if any) keep the abandoned call's ids (LiteLLM's own docstring: the task is never reused for another
request). Like the Prometheus guard, a narrow patch of one LiteLLM function.
"""

from __future__ import annotations

import sys

_MARK = "_litellm_fusion_no_context_set"


def needed(version: tuple[int, int] = (sys.version_info.major, sys.version_info.minor)) -> bool:
    """True where the collector can run a finalizer in the middle of a context-variable operation (< 3.12)."""
    return version < (3, 12)


def install() -> bool:
    """Replace `CustomStreamWrapper.__del__`; False when not needed or LiteLLM's wrapper has no finalizer."""
    if not needed():
        return False
    try:
        from litellm.litellm_core_utils.streaming_handler import CustomStreamWrapper
    except Exception:  # noqa: BLE001 - a LiteLLM without the module: nothing to guard
        return False
    original = CustomStreamWrapper.__dict__.get("__del__")
    if original is None:
        return False
    if getattr(original, _MARK, False):
        return True

    def __del__(self: object) -> None:
        """LiteLLM's finalizer minus its context-variable restore (see the module docstring)."""

    setattr(__del__, _MARK, True)
    __del__.__wrapped__ = original  # type: ignore[attr-defined]
    CustomStreamWrapper.__del__ = __del__  # type: ignore[method-assign]
    return True
