"""Limits that keep reading an answer linear and shallow, whatever a model (or an attacker) writes.

Every reader in this package looks at a bounded window of the reply (`window`), parses JSON or Python literals
only when their nesting is shallow (`nesting_depth`, a linear scan), and hands a parser at most `PARSE_MAX`
characters. A reply that breaks a bound is not an error: the reader just does not find that form of answer.
"""

from __future__ import annotations

HEAD = 16_000  # a reply's opening part that is read (a whole-JSON reply starts here)
TAIL = 48_000  # and its closing part (final answers come last)
PARSE_MAX = 20_000  # characters one JSON / literal parse may be given
MAX_DEPTH = 20  # deeper JSON or literals are not answers


def window(text: str) -> str:
    """The part of a reply that is read: all of it, or its head and tail joined by a blank line."""
    if len(text) <= HEAD + TAIL:
        return text
    return text[:HEAD] + "\n\n" + text[-TAIL:]


def nesting_depth(text: str, limit: int = MAX_DEPTH) -> int:
    """The deepest bracket nesting of `text`, ignoring brackets inside double- or single-quoted strings; stops
    counting at `limit` + 1. Linear in len(text)."""
    depth = deepest = 0
    quote = ""
    escaped = False
    for ch in text:
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
            continue
        if ch == '"' or ch == "'":
            quote = ch
        elif ch in "[{(":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif ch in "]})":
            depth = max(0, depth - 1)
    return deepest


def parseable(text: str) -> bool:
    """Small and shallow enough to hand to a parser."""
    return len(text) <= PARSE_MAX and nesting_depth(text) <= MAX_DEPTH
