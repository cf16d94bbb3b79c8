"""Text features of the difficulty classifier. Pure Python + stdlib; shared by training and runtime.

Only a bounded slice of the text is tokenized (head + tail, `HEAD_CHARS` + `TAIL_CHARS`), so the cost
is O(1) in the prompt length apart from a few C-level `str.count` passes over the whole text. The tail
is the larger part because few-shot prompts and conversations put the actual question last.

Features:
- sparse: lowercased tokens (`[a-z]+`, `[0-9]+`, or any single other non-space character, which makes
  CJK text a sequence of characters and keeps math/code symbols), unigrams and adjacent-token bigrams,
  binary presence, scaled by 1/sqrt(number of distinct n-grams in the slice);
- dense: `dense_features()` below (length, lines, non-ASCII share, question marks, math/code markers,
  size of the few-shot examples).

Few-shot prompts ("<q1> Answer: B\n\n<q2> Answer: D\n\n<question> Answer:") are classified by their final
question: `focus()` cuts the solved examples off (they are usually the same for every prompt of a task and
would only dilute the n-grams and blur the length); their size enters as one dense feature. It takes at
least MIN_SHOTS solved examples (cue, short non-empty answer, blank line) so that a pasted Q&A document with
empty answers, or a single "Answer: 42" paragraph, is not mistaken for a few-shot prompt.
"""

from __future__ import annotations

import itertools
import math
import re

from .text import CONTEXT_MARK, NOW_MARK

HEAD_CHARS = 400
TAIL_CHARS = 1100
_TOKEN_RE = re.compile(r"[a-z]+|[0-9]+|[^\sa-z0-9]")
_MARKERS = (CONTEXT_MARK, NOW_MARK)  # the context markers of `request_text`
# A solved few-shot example ends in one of these cues, a short answer and a blank line.
_SHOT_CUES = ("answer:", "答案：", "答案:")
SHOT_WINDOW = 8000  # only the last SHOT_WINDOW characters are searched for the last solved example
SHOT_ANSWER_CHARS = 40  # a solved example's answer: non-empty, at most this long
MIN_SHOTS = 2  # at least this many solved examples before the final question
MIN_QUESTION_CHARS = 16

DENSE_NAMES = (
    "log_chars",
    "log_chars_sq",
    "log_lines",
    "non_ascii",
    "questions",
    "math_marks",
    "code_fence",
    "log_tokens",
    "log_shots",
)


def focus(text: str) -> tuple[str, int]:
    """(final question, characters of solved few-shot examples before it); (text, 0) if not few-shot."""
    n = len(text)
    start = n - SHOT_WINDOW if n > SHOT_WINDOW else 0
    low = text[start:].lower() if start else text.lower()
    if ":" not in low and "：" not in low:
        return text, 0
    hi = len(low.rstrip())
    best = -1
    for cue in _SHOT_CUES:
        ends: list[int] = []  # ends of solved examples (after their blank line), newest first
        j = low.rfind(cue, 0, hi)
        tries = 0
        while j >= 0 and tries < 8 and len(ends) < MIN_SHOTS:
            a = j + len(cue)
            k = low.find("\n\n", a)
            if 0 <= k and k - a <= SHOT_ANSWER_CHARS and low[a:k].strip():
                ends.append(k + 2)
            j = low.rfind(cue, 0, j)
            tries += 1
        if len(ends) >= MIN_SHOTS and hi - ends[0] >= MIN_QUESTION_CHARS and ends[0] > best:
            best = ends[0]
    if best < 0:
        return text, 0
    return text[start + best :], start + best


def clip(text: str) -> str:
    """The slice that is tokenized: whole text if short, else head + tail."""
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text
    return text[:HEAD_CHARS] + "\n" + text[-TAIL_CHARS:]


def clipped_tokens(s: str) -> list[str]:
    """Tokens of an already clipped text."""
    if "[" in s:
        for m in _MARKERS:
            s = s.replace(m, " ")
    return _TOKEN_RE.findall(s.lower())


def dense_features(text: str, clipped: str, n_tokens: int, shots: int = 0) -> list[float]:
    """Dense features in `DENSE_NAMES` order for the (focused) text and the size of the few-shot examples
    cut off before it. O(len(text)) only through C-level str methods."""
    n = len(text)
    lc = math.log1p(n) / 10.0
    nc = len(clipped) or 1
    return [
        lc,
        lc * lc,
        math.log1p(text.count("\n")) / 5.0,
        (len(clipped.encode("utf-8")) - len(clipped)) / (2.0 * nc),  # ~share of non-ASCII characters
        min(clipped.count("?"), 5) / 5.0,
        math.log1p(clipped.count("$") + clipped.count("\\") + clipped.count("^")) / 3.0,
        1.0 if "```" in text else 0.0,
        math.log1p(n_tokens) / 7.0,
        math.log1p(shots) / 10.0,
    ]


def extract(text: str) -> tuple[set[str], set[tuple[str, str]], list[float]]:
    """Everything the model reads from a text: distinct unigrams, distinct bigrams (tuples, which hash
    without building strings) and the dense features, all of the few-shot-focused, clipped text. The
    one pipeline shared by training and serving."""
    q, shots = focus(text)
    c = clip(q)
    toks = clipped_tokens(c)
    return set(toks), set(itertools.pairwise(toks)), dense_features(q, c, len(toks), shots)


def bigram_key(pair: tuple[str, str]) -> str:
    """How a bigram is spelled in the artifact (JSON keys are strings)."""
    return pair[0] + " " + pair[1]
