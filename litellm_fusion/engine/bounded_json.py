"""JSON read from untrusted text (model output, request fields) at a cost linear in the text, without recursion.

Python's json module recurses once per nesting level (a RecursionError, not a ValueError, on '[' * 100000) and a
failed parse computes the error's line and column from the start of the text, so reading the JSON at each '{' of a
text, as an embedded-verdict reader does, is quadratic ('{' * 200000 took seconds). Here:

- `loads`: json.loads once a linear scan (in C: regular expressions, `itertools.accumulate`) has checked the nesting
  depth; raises ValueError (JSONLimitError when too deep) and nothing else.
- `embedded_objects`: every top-level JSON object in prose, in order, as `raw_decode` at each '{' would find them:
  each '{' that can start an object is matched to its closing brace by one scan over strings and brackets (the
  objects it contains are matched on the way and never scanned again) and parsed once; a structure nested deeper
  than `max_depth` is not read, nor any object inside it. Raises JSONLimitError when a text's braces and quotes make
  the scans exceed a budget linear in the text (never for well-formed or merely unbalanced text).
- `value_too_deep`: whether a parsed value (a request field) nests deeper than a bound, iteratively.
"""

from __future__ import annotations

import json
import re
from array import array
from itertools import accumulate
from typing import Any

MAX_DEPTH = 64  # tool-call arguments and other JSON values read whole
OBJECT_DEPTH = 16  # objects looked for in prose (verdicts, ratings): flat in practice
OBJECT_CHARS = 16_384  # the longest embedded object read
# How much reading objects out of prose may do before the text is refused as too irregular (a judge's verdict is one
# small object: these bound the work on 100 KB of braces and quotes to a few milliseconds).
MAX_ATTEMPTS = 1_024
MAX_TOKENS = 8_192

# A JSON string from its opening quote; an unterminated one runs to the end of the text (so a scan never
# backtracks over it), a backslash escapes any character.
_STRING = r'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)'
_TOKEN = re.compile(_STRING + r"|[\[\]{}]", re.DOTALL)
_FLAT_OBJECT = re.compile(r'\{(?:[^{}\[\]"]++|"(?:[^"\\]++|\\.)*+")*+\}', re.DOTALL)
_OBJECT_START = re.compile(r'\{[ \t\r\n]*["}]')
_CLOSES = {"]": "[", "}": "{"}
_BRACKETS = bytes.maketrans(b"[{]}", bytes([1, 1, 255, 255]))  # +1 / -1 as signed bytes
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[{]}")


class JSONLimitError(ValueError):
    """The text nests deeper, or is more irregular, than the reader accepts."""


def _max_depth(text: str) -> int:
    data = text.encode("utf-8", "surrogatepass")
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")  # escaped backslashes, then escaped quotes
    if b'"' in data:
        data = b"".join(data.split(b'"')[::2])  # what is outside strings (an unterminated one runs to the end)
    return max(accumulate(array("b", data.translate(_BRACKETS, _NOT_BRACKETS))), default=0)


def too_deep(text: str, max_depth: int = MAX_DEPTH) -> bool:
    """Whether brackets outside strings nest deeper than `max_depth`: linear, in C (escapes and strings dropped by
    replace and split, everything but brackets by bytes.translate, the running depth by accumulate), nothing at all
    when there are too few brackets to nest that deep, and the first 4 KB alone when they already do."""
    if text.count("[") + text.count("{") <= max_depth:
        return False
    return _max_depth(text[:4096]) > max_depth or _max_depth(text) > max_depth


def loads(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """json.loads, for any text: ValueError (JSONDecodeError, JSONLimitError, too many digits) or the value."""
    if too_deep(text, max_depth):
        raise JSONLimitError(f"nested deeper than {max_depth} levels")
    return json.loads(text)


class _Scan:
    """The state of one `embedded_objects` call: what earlier scans found, and the work left."""

    def __init__(self, text: str, max_depth: int) -> None:
        self.text = text
        self.max_depth = max_depth
        self.known: dict[int, int] = {}  # a '{' matched by an earlier scan -> the end of its object
        self.dead: set[int] = set()  # a '{' still open where an earlier scan failed: a scan from it fails too
        self.attempts = MAX_ATTEMPTS
        self.tokens = MAX_TOKENS

    def spend(self, attempts: int = 0, tokens: int = 0) -> None:
        self.attempts -= attempts
        self.tokens -= tokens
        if self.attempts < 0 or self.tokens < 0:
            raise JSONLimitError("too irregular to read: more braces and quotes than any verdict has")

    def end_of(self, start: int) -> int | None:
        """Where the object opening at `start` ends (its brackets matched, strings skipped), or None."""
        if start in self.dead:
            return None
        end = self.known.get(start)
        if end is not None:
            return end
        self.spend(attempts=1)
        window = start + OBJECT_CHARS
        flat = _FLAT_OBJECT.match(self.text, start, window)
        if flat is not None:
            return flat.end()
        return self._match(start, window)

    def _match(self, start: int, window: int) -> int | None:
        """One scan over strings and brackets. Objects closed inside are noted in `known`; the '{' still open where it
        fails (a mismatched or missing bracket, deeper than max_depth, longer than OBJECT_CHARS) go to `dead`."""
        text = self.text
        stack: list[tuple[str, int]] = []
        read = 0
        for token in _TOKEN.finditer(text, start, window):
            read += 1
            at = token.start()
            char = text[at]
            if char == '"':
                continue
            if char in "[{":
                stack.append((char, at))
                if len(stack) > self.max_depth:
                    break
                continue
            if not stack or stack[-1][0] != _CLOSES[char]:
                break
            opened, position = stack.pop()
            if opened == "{":
                self.known[position] = token.end()
            if not stack:
                self.spend(tokens=read)
                return token.end()
        self.dead.update(position for opened, position in stack if opened == "{")
        self.spend(tokens=read)
        return None


def embedded_objects(text: str, key: str | None = None, max_depth: int = OBJECT_DEPTH) -> list[dict[str, Any]]:
    """Every top-level JSON object embedded in `text`, in order; with `key`, only those that have it (a text in which
    `key` cannot be, neither literally nor through a \\u escape, is not scanned at all). See the module docstring."""
    if key is not None and json.dumps(key) not in text and "\\u" not in text:
        return []
    scan = _Scan(text, max_depth)
    found: list[dict[str, Any]] = []
    at = 0
    while (start := _OBJECT_START.search(text, at)) is not None:
        i = start.start()
        at = i + 1
        end = scan.end_of(i)
        if end is None:
            continue
        scan.spend(attempts=1)
        try:
            value = json.loads(text[i:end])
        except ValueError:
            continue
        if isinstance(value, dict):
            if key is None or key in value:
                found.append(value)
            at = end
    return found


def value_too_deep(value: Any, max_depth: int) -> bool:
    """Whether a parsed JSON value (lists and dicts) nests deeper than `max_depth`; iterative, stops at the first
    place too deep (so its cost is bounded by the value's size)."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth >= max_depth:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False
