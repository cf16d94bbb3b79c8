"""Parse the best-of judge's verdict and the cascade verifier's rating. Any text gives either a valid Verdict (Score)
or a VerdictError, at a cost linear in the text and without recursion (engine/bounded_json.py): objects nested deeper
than 16 levels, longer than 16 KB, or a text too irregular to read are no verdict."""

from __future__ import annotations

import json
import reprlib
from dataclasses import dataclass

from .bounded_json import JSONLimitError, embedded_objects
from .encodable import encodable


@dataclass(frozen=True)
class Verdict:
    winner: int  # 0-based index into the candidates
    reason: str


class VerdictError(ValueError):
    """The judge's output is not a usable verdict (the caller falls back)."""


def _strip_fences(text: str) -> str:
    text = text.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        if text.rstrip().endswith("```"):
            text = text.rstrip()[:-3]
    return text.strip()


def _shown(value: object) -> str:
    """A value from the judge in an error message: short, and encodable."""
    return encodable(reprlib.repr(value))


def _winner_number(value: object) -> int:
    if isinstance(value, bool):
        raise VerdictError("winner is a boolean, not a candidate index")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = value.strip() if isinstance(value, str) else ""
    if text.isascii() and text.isdigit() and len(text) < 6:
        return int(text)
    raise VerdictError(f"winner {_shown(value)} is not a candidate index")


def parse_verdict(text: str | None, n_candidates: int) -> Verdict:
    """Read `{"winner": k, "reason": "..."}` (k from 1 to n_candidates) from the judge's output.

    The output must hold exactly one JSON object with a `winner` key: a judge that echoes a
    candidate's fake verdict next to its own is ambiguous and treated as a failed verdict.
    """
    verdict = _the_object(text, "winner", "judge", "verdict")
    number = _winner_number(verdict["winner"])
    if not 1 <= number <= n_candidates:
        raise VerdictError(f"winner {number} is not a candidate (expected 1 to {n_candidates})")
    return Verdict(winner=number - 1, reason=_reason(verdict))


def _the_object(text: str | None, key: str, who: str, what: str) -> dict[str, object]:
    """The one JSON object with `key` in `who`'s output (none, or several, is a VerdictError)."""
    if not text or not text.strip():
        raise VerdictError(f"the {who} returned no text")
    try:
        objects = embedded_objects(_strip_fences(text), key)
    except JSONLimitError as exc:
        raise VerdictError(f"the {who}'s output is {exc}") from None
    if not objects:
        raise VerdictError(f"no JSON {what} with a '{key}' field in the {who}'s output")
    if len(objects) > 1:
        raise VerdictError(f"{len(objects)} {what}s in the {who}'s output; expected one")
    return objects[0]


def _reason(obj: dict[str, object]) -> str:
    reason = obj.get("reason", "")
    reason = reason if isinstance(reason, str) else json.dumps(reason)
    return encodable(" ".join(reason.split())[:300])


@dataclass(frozen=True)
class Score:
    score: int  # 0 to 10
    reason: str


def parse_score(text: str | None) -> Score:
    """Read a cascade verifier's `{"score": s, "reason": "..."}` (s an integer from 0 to 10). Exactly one JSON
    object with a `score` key, as for verdicts: a candidate's fake rating echoed next to the real one is
    ambiguous and unusable."""
    rating = _the_object(text, "score", "verifier", "rating")
    try:
        number = _winner_number(rating["score"])
    except VerdictError:
        raise VerdictError(f"score {_shown(rating['score'])} is not an integer from 0 to 10") from None
    if not 0 <= number <= 10:
        raise VerdictError(f"score {number} is not between 0 and 10")
    return Score(score=number, reason=_reason(rating))
