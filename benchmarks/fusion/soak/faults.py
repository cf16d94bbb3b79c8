"""The soak's injected faults: pure functions of the request body (seeded), so a run is reproducible and the
oracle can tell afterwards what each call was made to do."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

RATES = {"m-a-500": 0.30, "m-b-hang": 0.10, "judge-bad": 0.05, "stream": 0.20}
GARBAGE = "I like the second one best"
TAG = re.compile(r"\b(soak(?:dc)?-\d+-\d{5})\b")
CANDIDATE = re.compile(r"\b(soak(?:dc)?-\d+-\d{5}) r(\d): answer of (m-[abc]|m-slow)\b")


def _text(body: dict[str, Any]) -> str:
    return json.dumps(body.get("messages", []))


def tag_of(body: dict[str, Any]) -> str | None:
    m = TAG.search(_text(body))
    return m.group(1) if m else None


def round_of(body: dict[str, Any]) -> int:
    """A debate revision shows the member its own last answer as an assistant turn."""
    return 2 if any(m.get("role") == "assistant" for m in body.get("messages", [])) else 1


class Faults:
    def __init__(self, seed: int) -> None:
        self.seed = seed

    def u(self, what: str, tag: str | None, rnd: int = 1) -> float:
        digest = hashlib.sha256(f"{self.seed}:{what}:{tag}:{rnd}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def member_text(self, model: str):
        def text(body: dict[str, Any]) -> str:
            # distinct per member and not ending in a number, so members never "agree" (no judge shortcut)
            return f"{tag_of(body)} r{round_of(body)}: answer of {model}"

        return text

    def a_status(self, body: dict[str, Any]) -> int | None:
        return 500 if self.u("m-a-500", tag_of(body), round_of(body)) < RATES["m-a-500"] else None

    def b_hang(self, body: dict[str, Any]) -> bool:
        return self.u("m-b-hang", tag_of(body), round_of(body)) < RATES["m-b-hang"]

    def judge_text(self, body: dict[str, Any]) -> str:
        tag = tag_of(body)
        cands = judge_candidates(body)
        bad = self.u("judge-bad", tag) < RATES["judge-bad"]
        if "response_format" in body:  # best-of: a JSON verdict
            if bad:
                return GARBAGE
            winner = 1 + int(self.u("winner", tag) * max(1, len(cands)))
            return json.dumps({"winner": winner, "reason": f"pick {winner}"})
        return "" if bad else f"merged {tag}: " + " | ".join(cands)

    def stream(self, tag: str) -> bool:
        return self.u("stream", tag) < RATES["stream"]


def judge_candidates(body: dict[str, Any]) -> list[str]:
    """The candidate answers in the judge prompt, in order."""
    user = "\n".join(str(m.get("content")) for m in body.get("messages", []) if m.get("role") == "user")
    return [f"{t} r{r}: answer of {m}" for t, r, m in CANDIDATE.findall(user)]
