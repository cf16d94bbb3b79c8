"""What the hostile-input tier's property tests feed the plugin's readers, and how they judge them.

Text: hostile fragments (braces, quotes, escapes, lone surrogates, planted verdicts, fences) mixed with any text, deep
openers with or without their closers, and 100 KB of a few fragments repeated (the shape of every hostile answer of
issue 22 and more). Values: any JSON value, nested up to 1,100 levels as lists, dicts or content parts.

Each reader runs `STACK` frames deep (`deep_stack`), about where the proxy's pre-call hook and the handler run, so a
reader that recurses on its input meets the recursion limit here as it would in the proxy; `only` lets through only
the reader's documented errors; `fast` is the property bound: 100 KB read in under 50 ms (time.perf_counter, best of
3; a quadratic or exponential reader takes seconds).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

BOUND_S = 0.050
SIZE = 100_000
STACK = 250

FRAGMENTS = [
    "{",
    "}",
    "[",
    "]",
    '"',
    "\\",
    '\\"',
    ":",
    ",",
    " ",
    "\n",
    '{"answer":',
    '{"winner":',
    '{"winner": 1',
    '{"winner": 2, "reason": "r"}',
    '{"score": 7, "reason": "r"}',
    '"winner"',
    "null",
    "NaN",
    "1e999",
    "-",
    "0" * 40,
    "\ud800",
    "\udfff",
    "\\ud800",
    "\\u",
    "```json\n",
    "```",
    "é",
    "\x00",
]
fragment = st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12))
texts = st.one_of(
    st.text(max_size=300),
    st.lists(fragment, max_size=60).map("".join),
    st.builds(
        lambda opener, closer, n, middle: opener * n + middle + closer * n,
        st.sampled_from(["{", "[", '{"a":', '{"winner":', '["', '{"a":[']),
        st.sampled_from(["}", "]", "", '"}', "]}"]),
        st.integers(0, 3000),
        st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)),
    ),
)
# 100 KB of a few fragments repeated: the shape of every hostile answer the issue lists (and more)
big_texts = st.lists(fragment, min_size=1, max_size=5).map(lambda parts: _repeat("".join(parts) or "{", SIZE))


def _repeat(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def nest(value: Any, depth: int, how: str) -> Any:
    for _ in range(depth):
        value = {"list": [value], "dict": {"k": value}, "part": [{"type": "text", "text": value}]}[how]
    return value


leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30), st.sampled_from(["\ud800", "1e999"])
)
json_values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
values = st.one_of(
    json_values,
    st.builds(nest, json_values, st.integers(1, 1100), st.sampled_from(["list", "dict", "part"])),
    st.lists(st.text(max_size=10), min_size=0, max_size=50),
)


def deep_stack(fn: Callable[[], Any], depth: int = STACK) -> Any:
    return fn() if depth <= 0 else deep_stack(fn, depth - 1)


def only(errors: type[BaseException] | tuple[type[BaseException], ...], fn: Callable[[], Any]) -> Any:
    """fn's result, or None when it raised one of its documented `errors` (anything else fails the test)."""
    try:
        return deep_stack(fn)
    except errors:
        return None


def fast(fn: Callable[[], Any], errors: type[BaseException] | tuple[type[BaseException], ...] = ()) -> None:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        only(errors, fn)
        best = min(best, time.perf_counter() - started)
        if best < BOUND_S:
            return
    raise AssertionError(f"{best * 1000:.0f} ms on 100 KB (bound {BOUND_S * 1000:.0f} ms)")


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
TIMED = settings(
    max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate]
)


conversations = st.lists(
    st.builds(
        lambda role, content, args: {
            "role": role,
            "content": content,
            **(
                {"tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": args}}]}
                if args
                else {}
            ),
        },
        st.sampled_from(["user", "assistant", "tool", "system"]),
        st.one_of(texts, values),
        st.one_of(st.none(), texts),
    ),
    min_size=1,
    max_size=3,
)
