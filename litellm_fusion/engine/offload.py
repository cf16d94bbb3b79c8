"""Readers of model output whose cost grows with the text (verdicts, ratings) run off the event loop once the text is
long enough to take more than a few milliseconds, under a time bound; a short text is read in place (a thread hop
costs more than reading it)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

INLINE_CHARS = 16_384  # read in place: well under a millisecond for the linear readers
TIME_BOUND_S = 5.0


async def read_text(read: Callable[[str], T], text: str, error: Callable[[str], Exception]) -> T:
    """`read(text)`, in a worker thread when the text is long; raises `error(...)` when that takes over TIME_BOUND_S
    (the readers are linear, so only a machine that is far too busy gets there)."""
    if len(text) <= INLINE_CHARS:
        return read(text)
    try:
        async with asyncio.timeout(TIME_BOUND_S):
            return await asyncio.to_thread(read, text)
    except TimeoutError:
        raise error(f"reading {len(text)} characters took over {TIME_BOUND_S:g} s") from None
