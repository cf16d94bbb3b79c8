"""Math answers compared by value with HuggingFace's math-verify (LaTeX and plain forms parsed to sympy), off the
event loop and bounded in time.

math-verify's own timeouts use signals, which work only in the main thread, so they are off; the bound is ours:
the work runs in one dedicated thread, each comparison is awaited at most `TIMEOUT_S`, and expressions longer than
`MAX_CHARS` are not parsed. A comparison that times out is undecided (its result is still cached when the thread
finishes, for the next time); so is one that finds the queue full. math-verify (with sympy) is imported on first
use in that thread, so the proxy's start-up does not pay for it.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

TIMEOUT_S = 0.05  # one comparison, once math-verify is loaded
LOAD_TIMEOUT_S = 10.0  # the first use: importing math-verify and sympy
MAX_CHARS = 200
MAX_QUEUED = 8  # comparisons waiting for the thread; more are undecided at once
CACHE_SIZE = 4096

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fusion-math")
_cache: OrderedDict[tuple[str, str], bool | None] = OrderedDict()
_lock = threading.Lock()
_queued = 0
_loaded: Future[None] | None = None
_module: Any = None


# sympy's first use of each kind of expression is slow (parsers, simplification): paid once, here, not in a timed
# comparison
_WARM_UP = (
    ("x^2+2x+1", "(x+1)^2"),
    ("\\frac{\\sqrt{3}}{2}", "\\sqrt{3}/2"),
    ("(-\\infty, 2]", "[0, 1)"),
    ("\\{1,2\\}", "\\{2,1\\}"),
    ("y=2x+1", "2x+1"),
    ("\\frac{\\pi}{4}", "0.785"),
)


def _load() -> None:
    global _module
    import logging

    import math_verify

    logging.getLogger("math_verify").setLevel(logging.ERROR)  # it warns on every call that its timeouts are off
    _module = math_verify
    for a, b in _WARM_UP:
        _compute(a, b)


def _parse(expr: str) -> list[Any]:
    mv = _module
    configs = [mv.LatexExtractionConfig(boxed_match_priority=0), mv.ExprExtractionConfig()]
    text = expr if "$" in expr or "\\boxed" in expr else f"${expr}$"
    return mv.parse(text, extraction_config=configs, parsing_timeout=None)  # type: ignore[no-any-return]


def _compute(a: str, b: str) -> bool | None:
    """True/False when math-verify decides, None when either side does not parse. Runs in the math thread."""
    key = (a, b) if a <= b else (b, a)
    with _lock:
        if key in _cache:
            return _cache[key]
    try:
        pa, pb = _parse(a), _parse(b)
        if not pa or not pb:
            result = None
        else:
            verify = _module.verify
            result = bool(verify(pa, pb, timeout_seconds=None) and verify(pb, pa, timeout_seconds=None))
    except Exception:  # noqa: BLE001 - sympy raises anything on odd input; that is "cannot tell"
        result = None
    with _lock:
        _cache[key] = result
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


async def equivalent(a: str, b: str) -> bool | None:
    """Whether two math answers have the same value: True, False, or None when it cannot be told in time."""
    global _queued, _loaded
    if len(a) > MAX_CHARS or len(b) > MAX_CHARS:
        return None
    key = (a, b) if a <= b else (b, a)
    with _lock:
        if key in _cache:
            return _cache[key]
    if _loaded is None:
        _loaded = _executor.submit(_load)
    if not _loaded.done() or _loaded.exception() is not None:
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(_loaded)), LOAD_TIMEOUT_S)
        except (TimeoutError, ImportError):
            return None
    if _queued >= MAX_QUEUED:
        return None
    _queued += 1
    try:
        return await asyncio.wait_for(asyncio.wrap_future(_executor.submit(_compute, a, b)), TIMEOUT_S)
    except TimeoutError:
        return None
    finally:
        _queued -= 1
