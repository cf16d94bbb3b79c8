"""Numbers as answers are written: 1,000 / 1 000 / 1'000, 0.75, .5, -3, 3/4, \\frac{3}{4}, 75%, 1.5e3,
1.5 \\times 10^{3}, 10^3, $5, 42 apples, 3 hours, 9.8 m/s^2. `number` reads a whole answer as one number (with
its unit and whether it was a percentage), or None: "3x + 2" and "2 and 3" are not numbers."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_SIGN = r"[-+\u2212]?"
_PLAIN = r"(?:\d{1,3}(?:[,\u00a0\u2009\u202f' ]\d{3})+|\d+)(?:\.\d+)?|\.\d+"
_EXP = r"(?:[eE][-+]?\d+|[ \t]*(?:\\times|\\cdot|[x\u00d7*])[ \t]*10[ \t]*\^[ \t]*\{?[ \t]*([-+\u2212]?\d+)[ \t]*\}?)"
_NUMBER = re.compile(
    rf"^(?P<currency>\\?\$|€|£|usd[ \t]+)?[ \t]*(?P<sign>{_SIGN})[ \t]*(?:"
    rf"(?P<frac>\\[dt]?frac[ \t]*\{{[ \t]*(?P<fn>[-\u2212]?\d+)[ \t]*\}}[ \t]*\{{[ \t]*(?P<fd>\d+)[ \t]*\}})"
    rf"|(?P<slash>(?P<sn>\d+)[ \t]*/[ \t]*(?P<sd>\d+))"
    rf"|(?P<pow>10[ \t]*\^[ \t]*\{{?[ \t]*(?P<pe>[-+\u2212]?\d+)[ \t]*\}}?)"
    rf"|(?P<plain>{_PLAIN})(?P<exp>{_EXP})?)"
    r"[ \t]*(?P<percent>\\?%|[ \t]*percent\b)?"
    r"(?P<unit>(?:[ \t]*(?:[a-zA-Z\u00b0\u00b5\u03a9$€£][\w\u00b0\u00b5\u00b2\u00b3/^.\u03a9]*)){0,3})[ \t]*$",
    re.IGNORECASE,
)
_NOTATION = re.compile(r"\^\{?\\circ\}?|\\%|\\\$")
_CURRENCY = {"$": "dollar", "\\$": "dollar", "usd": "dollar", "€": "euro", "£": "pound"}


@dataclass(frozen=True)
class Number:
    value: float
    unit: str  # "" when none is written
    percent: bool

    def equals(self, other: Number) -> bool:
        """Equal values (1e-9 relative); a percentage also equals its value or its fraction: 50% = 50 = 0.5."""
        mine = {self.value, self.value / 100} if self.percent else {self.value}
        theirs = {other.value, other.value / 100} if other.percent else {other.value}
        return any(math.isclose(a, b, rel_tol=1e-9) for a in mine for b in theirs)  # relative: 1e-11 is not 1e-13


def _unit(raw: str, currency: str | None) -> str:
    words = [w.strip(".").lower() for w in raw.split()]
    words = [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words if w]
    unit = " ".join(words)
    unit = {"usd": "dollar", "\u00b0": "degree", "deg": "degree"}.get(unit, unit)
    return _CURRENCY.get(currency.strip().lower(), currency.strip().lower()) if currency and not unit else unit


def number(raw: str) -> Number | None:
    """The number a whole answer is, or None."""
    text = _NOTATION.sub(
        lambda m: "\u00b0" if "circ" in m.group(0) else m.group(0)[1:], raw.strip().replace("\u2212", "-")
    )
    if not text or len(text) > 80 or not any(ch.isdigit() for ch in text):
        return None
    found = _NUMBER.match(text)
    if found is None:
        return None
    try:
        if found["frac"]:
            value = int(found["fn"].replace("\u2212", "-")) / int(found["fd"]) if int(found["fd"]) else None
        elif found["slash"]:
            value = int(found["sn"]) / int(found["sd"]) if int(found["sd"]) else None
        elif found["pow"]:
            value = 10.0 ** int(found["pe"].replace("\u2212", "-"))
        else:
            value = float(re.sub(r"[,\u00a0\u2009\u202f' ]", "", found["plain"]))
            exp = found["exp"]
            if exp:
                power = found.group(found.re.groupindex["exp"] + 1) or exp.strip()[1:]
                value *= 10.0 ** int(power.replace("\u2212", "-"))
    except (ValueError, OverflowError, ZeroDivisionError):
        return None
    if value is None:
        return None
    if found["sign"] == "-":
        value = -value
    unit = found["unit"].strip()
    if unit and not re.fullmatch(r"[a-zA-Z\u00b0\u00b5\u03a9$€£][\w\u00b0\u00b5\u00b2\u00b3/^.\u03a9 ]*", unit):
        return None
    if unit.lower() in {"and", "or", "to", "x", "mod", "pm"} or unit.lower().startswith(("and ", "or ", "to ", "mod ")):
        return None  # "2 and 3", "5 mod 7": not one number
    return Number(value, _unit(unit, found["currency"]), bool(found["percent"]))


_BEFORE_TRAILING = re.compile(
    r"(?:[-+*/^\u00d7\u00f7]|\b(?:and|or|to|from|between|than|of|minus|plus|times))\s*$", re.IGNORECASE
)


def trailing_number(text: str) -> Number | None:
    """The number a short sentence ends with ("The total is 1,000.", "It is 50%", "40 + 2 = 42"), or None when
    it ends with a term of an expression or one item of a list ("3x + 2", "2 and 3")."""
    stripped = text.strip().rstrip(".!").rstrip()
    if len(stripped) > SENTENCE_MAX:
        return None
    tokens = stripped.split(" ")
    for size in range(min(4, len(tokens)), 0, -1):
        head, tail = " ".join(tokens[:-size]), " ".join(tokens[-size:])
        tail = tail.lstrip("=:")
        found = None if re.match(r"[-+\u2212]\s", tail) else number(tail)
        if found is not None and not _BEFORE_TRAILING.search(head) and not head.rstrip().endswith(("(", "[")):
            return found
    return None


SENTENCE_MAX = 120
