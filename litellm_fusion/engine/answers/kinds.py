"""What kind of answer an extracted final answer is, and its comparable form: letter, number, math, literal
(a Python/JSON value), text (a short string), long (free-form prose)."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from .bounds import parseable
from .letters import letter_of
from .model import KindChoice
from .numbers import Number, number, trailing_number

SHORT = 200  # longer answers are free-form prose ("long")
_POLAR = re.compile(r"^(yes|no|true|false)\b[ \t]*(?:$|[.,;:!])", re.IGNORECASE)
_WRAPPERS = re.compile(r"^(?:\*\*|__|`+|\$\$?)(.*?)(?:\*\*|__|`+|\$\$?)$", re.DOTALL)
_LATEX_TEXT = re.compile(r"\\(?:text|textbf|mathrm|mathbf|mbox|operatorname)\s*\{([^{}]*)\}")
_LATEX_DELIMITERS = re.compile(r"\\(?:left|right|big|Big|bigg|Bigg)(?![a-zA-Z])|^\\[(\[]|\\[)\]]$")
_LATEX_SPACE = re.compile(r"\\[,;:! ]|\\quad\b|~")
_LATEX_ESCAPE = re.compile(r"\\([_#&$])")
_BOXED = re.compile(r"^\\(?:boxed|fbox)\{(.*)\}$", re.DOTALL)
# signs of a math expression: a LaTeX command, a power or index, a variable next to a number, an operator between
# operands, an interval, infinity or pi
_MATHY = re.compile(
    r"\\[a-zA-Z{}]+|\^|_\{|\d[a-zA-Z]\b|[a-zA-Z0-9)\]}][ \t]*[-+*/=<>\u2264\u2265\u00b7\u00d7][ \t]*[a-zA-Z0-9(\\{]"
    r"|^[(\[][^()\[\]]*,[^()\[\]]*[)\]]$|\u221e|\u03c0|\bsqrt\b|\bpi\b|\binfty\b"
)
# words of prose (not LaTeX commands or function names): a sentence is not a math expression
_PROSE = re.compile(
    r"(?<![\\a-zA-Z])(?!(?:sin|cos|tan|cot|sec|csc|log|exp|sqrt|mod|max|min|gcd|lcm|det|lim|deg|arc\w*)\b)[a-zA-Z]{3,}"
)
_QUOTES = ("'", '"', "\u2018\u2019", "\u201c\u201d")


def unwrap(raw: str) -> str:
    """An answer without the markup around it: **bold**, `code`, $math$, \\boxed{}, \\text{}."""
    text = raw.strip()
    for _ in range(4):
        inner = _WRAPPERS.match(text) or _BOXED.match(text)
        if inner is None or not inner.group(1).strip():
            break
        text = inner.group(1).strip()
    for mark in ("**", "__"):  # "Paris**": emphasis whose other half a label took ("Final answer: **Paris**")
        if text.endswith(mark) and mark not in text[:-2]:
            text = text[:-2].strip()
        if text.startswith(mark) and mark not in text[2:]:
            text = text[2:].strip()
    text = _LATEX_DELIMITERS.sub("", _LATEX_TEXT.sub(r"\1", text))
    return _LATEX_ESCAPE.sub(r"\1", _LATEX_SPACE.sub("", text)).strip()


def _literal(text: str) -> tuple[bool, Any]:
    """(True, value) when the text is one Python or JSON value (string, list, dict, tuple, set, None)."""
    if not text or text[0] not in "'\"[{(" and text not in ("None", "null"):
        return False, None
    if not parseable(text):
        return False, None
    try:
        return True, ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    try:
        return True, json.loads(text)
    except (ValueError, RecursionError):
        return False, None


def canonical(value: Any) -> Any:
    """A literal's comparable form: tuples and lists alike, sets and dicts by content."""
    if isinstance(value, (list, tuple)):  # a tuple is not a list: (1, 2) and [1, 2] are different outputs
        return ("tuple" if isinstance(value, tuple) else "list", tuple(canonical(v) for v in value))
    if isinstance(value, (set, frozenset)):
        return ("set", frozenset(canonical(v) for v in value))
    if isinstance(value, dict):
        return ("map", frozenset((canonical(k), canonical(v)) for k, v in value.items()))
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return strip_quotes(value)
    return value


def strip_quotes(text: str) -> str:
    """The text without the quotes around it, however many layers ('"moo"' -> moo)."""
    for _ in range(4):
        for pair in _QUOTES:
            if len(text) >= 2 and text[0] == pair[0] and text[-1] == pair[-1]:
                text = text[1:-1]
                break
        else:
            return text
    return text


def classify(raw: Any, loose: bool, want: KindChoice = "auto") -> tuple[str, str, Any]:
    """(kind, text, value) of an extracted answer. `raw` is text, or a JSON value from a structured answer;
    `loose`: it came from a sentence (a bare lowercase letter names an option there); `want`: a kind the answer
    contract states."""
    if raw is None:
        return "none", "", None
    if isinstance(raw, bool):
        return "literal", str(raw).lower(), ("true/false", raw)
    if isinstance(raw, (int, float)):
        return "number", str(raw), Number(float(raw), "", False)
    if not isinstance(raw, str):
        return (
            ("literal", json.dumps(raw, ensure_ascii=False)[:SHORT], canonical(raw))
            if parseable(str(raw))
            else ("long", str(raw)[:SHORT], str(raw))
        )
    if len(raw) > 4 * SHORT:  # prose, whatever wraps it: no need to read it closer (and no pass over a long text)
        return "long", raw.strip()[: 4 * SHORT], raw
    text = unwrap(raw)
    if not text:
        return "none", "", None
    if want != "auto":
        return _as(want, text, loose)
    if len(text) > SHORT:
        return "long", text, text
    letter = letter_of(text, loose)
    if letter is not None:
        return "letter", text, letter
    polar = _POLAR.match(text)
    if polar and (len(text) <= 40 or loose):
        word = polar.group(1).lower()
        return "literal", text, ("yes/no" if word in ("yes", "no") else "true/false", word in ("yes", "true"))
    found = number(text)
    if found is not None:
        return "number", text, found
    ok, value = _literal(text)
    if ok:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return "number", text, Number(float(value), "", False)
        return "literal", text, canonical(value)
    if loose:
        found = trailing_number(text)
        if found is not None:
            return "number", text, found
    if _MATHY.search(text) and "\n" not in text and len(_PROSE.findall(text)) < 2:
        return "math", text, text
    return "text", strip_quotes(text), strip_quotes(text)


def _as(want: KindChoice, text: str, loose: bool) -> tuple[str, str, Any]:
    """The answer read as the kind a contract states; "none" when it is not one."""
    if want == "letter":
        letter = letter_of(text, True)
        return ("letter", text, letter) if letter else ("none", text, None)
    if want == "number":
        found = number(text)
        return (
            ("number", text, found) if found else ("math", text, text) if _MATHY.search(text) else ("none", text, None)
        )
    if want == "math":
        return "math", text, text
    if want == "literal":
        ok, value = _literal(text)
        return ("literal", text, canonical(value)) if ok else ("text", strip_quotes(text), strip_quotes(text))
    return "text", strip_quotes(text), strip_quotes(text)
