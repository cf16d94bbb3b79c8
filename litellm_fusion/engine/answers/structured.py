"""Answers given as JSON: a reply that is one JSON object, a fenced JSON block, or a JSON object closing prose.

Read leniently, as models write JSON: raw LaTeX backslashes ("\\sqrt{3}" is an invalid escape; "\\frac" would
decode as a form feed and "rac"), trailing commas, single quotes, unterminated output. Strict `json.loads` first,
with the backslashes read as LaTeX where they are not JSON escapes or precede a LaTeX command's letters, then
`json-repair` (a maintained lenient parser). Every parse is bounded
(bounds.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from .bounds import parseable

# keys that name a reply's final answer, most specific first
ANSWER_KEYS = ("final_answer", "finalAnswer", "final answer", "answer", "Answer", "Final Answer", "FinalAnswer")
_FENCE = re.compile(r"```[ \t]*(?:json5?|JSON)?[ \t]*\n(.*?)\n?[ \t]*```", re.DOTALL)
# a backslash and what follows it, as a JSON string would read it
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)
# escapes JSON knows that are far likelier LaTeX when a letter follows: \frac, \beta, \times, \right, \neq
_LATEX_BEFORE_LETTER = re.compile(r"[fbtr][a-zA-Z]|n(?:eq|e\b|u\b|abla|ot|i\b|eg|exists|otin|leq|geq|mid|parallel)")


def _latex_escapes(raw: str) -> str:
    """JSON text whose backslashes that are not JSON escapes (or are JSON escapes before LaTeX command letters)
    are doubled, so they read as the LaTeX the model meant. Linear."""

    def fix(m: re.Match[str]) -> str:
        nxt = m.group(1)
        if nxt[0] in '"\\/' or nxt[0] == "u" and len(nxt) == 5:
            return m.group(0)
        if nxt in "nfbtr" and not _LATEX_BEFORE_LETTER.match(raw, m.start() + 1):
            return m.group(0)
        return "\\\\" + nxt

    return _ESCAPE.sub(fix, raw)


def lenient_json(raw: str) -> Any:
    """The JSON value `raw` holds, read as leniently as models need; None when it holds none (or is too large or
    deep to parse: bounds.py)."""
    raw = raw.strip()
    if not raw or raw[0] not in "{[" or not parseable(raw):
        return None
    latex = _latex_escapes(raw)
    for attempt in (latex,) if latex != raw else (raw,):
        try:
            return json.loads(attempt, strict=False)
        except (ValueError, RecursionError):
            continue
    try:
        import json_repair  # lazily: the proxy's start-up does not pay for it

        value = json_repair.loads(latex)
    except (ValueError, RecursionError, TypeError, IndexError, KeyError, AttributeError):
        return None
    return value if isinstance(value, (dict, list)) and value else None


def _candidates(text: str) -> Iterator[tuple[str, str]]:
    """(where, raw JSON) for the reply's JSON objects, in the order they are tried: the whole reply, its last
    fenced JSON block, a JSON object on the reply's last lines."""
    stripped = text.strip()
    if stripped.startswith("{"):
        yield "json", stripped
    fences = [m for m in _FENCE.finditer(text) if m.group(1).lstrip().startswith("{")]
    if fences:
        yield "json_fenced", fences[-1].group(1)
    # a JSON object closing prose: from the last line that opens with "{" to the end
    start = stripped.rfind("\n{")
    if start > 0:
        tail = stripped[start + 1 :]
        yield "json_trailing", tail[: tail.rfind("}") + 1] if "}" in tail else tail


def answer_field(value: Any, name: str | None = None) -> tuple[str, Any] | None:
    """(key, value) of the answer field of a JSON object (`name`, else the first of ANSWER_KEYS; one level of
    nesting searched too), or None."""
    if not isinstance(value, dict):
        return None
    keys = (name,) if name else ANSWER_KEYS
    for key in keys:
        if key in value:
            return key, value[key]
    lowered = {k.lower(): k for k in value if isinstance(k, str)}
    for key in keys:
        if key.lower() in lowered:
            return lowered[key.lower()], value[lowered[key.lower()]]
    for inner in value.values():
        found = answer_field(inner, name) if isinstance(inner, dict) else None
        if found is not None:
            return found
    return None


def json_answer(text: str, name: str | None = None) -> tuple[str, Any] | None:
    """(source, value) of the reply's JSON answer field: source is where the object was found and the key,
    e.g. "json_fenced:answer". None when the reply has no JSON object with such a field."""
    for where, raw in _candidates(text):
        found = answer_field(lenient_json(raw), name)
        if found is not None and found[1] is not None:
            return f"{where}:{found[0]}", found[1]
    return None
