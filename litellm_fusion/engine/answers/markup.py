"""Answers marked in a reply's text: `\\boxed{}`, `<answer>` tags, "Final answer:" / "Answer:" lines, an
"Answer" heading and what follows it, "the answer is X." statements, a bold closing line, a closing code block.

Each reader returns (where in the text the mark starts, the marked text), or None. All are linear: no pattern can
backtrack over a long run of whitespace or repeated words, and the window read is bounded (bounds.py).
"""

from __future__ import annotations

import re

STATED_MAX = 200
MAX_STATEMENTS = 16  # a marked answer longer than this is not a final answer but a paragraph
Marked = tuple[int, str]

_TAGS = ("answer", "final_answer", "final-answer")
_BOXED = ("\\boxed{", "\\fbox{")
# "Final answer: X", "**Final Answer:** X", "ANSWER: X", "Answer - X", "#### X" (GSM8K)
_ANSWER_LINE = re.compile(
    r"^[ \t>*_#-]*(?:(?:the[ \t]+)?(?:final|correct|short)[ \t]+answer|answer)[ \t*_]*(?:is[ \t]*)?[:：\-–—][ \t*_]*"
    r"(\S[^\n]*)$|^[ \t]*####[ \t]*(\S[^\n]*)$",
    re.IGNORECASE | re.MULTILINE,
)
# a heading naming the answer; what follows it (a line or a block) is the answer
_HEADING = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]*|\*\*)(?:final[ \t]+)?(?:answer|result|output)[ \t]*:?[ \t]*(?:\*\*)?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
# "the answer is X", "so the final answer is X", "the correct option is X", "the output of the code is X". The
# pattern starts at its keyword (what comes before it is checked by lookbehind), so the regex engine scans for the
# keyword instead of trying every position
_STATEMENT = re.compile(
    r"(?:answer|option|choice|(?:(?<=final )|(?<=final\t))(?:result|output)"
    r"|(?:(?<=the )|(?<=the\t))output(?:[ \t]+of[ \t]+(?:the|this)[ \t]+(?:code|program|function))?)"
    r"[ \t]+(?:is|would[ \t]+be|will[ \t]+be|should[ \t]+be|must[ \t]+be|=)[ \t]*:?[ \t]*",
    re.IGNORECASE,
)
# the end of a stated answer's sentence: ". " / "! " / "? " or the end, not after an abbreviation or an initial
_SENTENCE_END = re.compile(
    r"(?<!\b[A-Z])(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bSt)(?<!\bvs)(?<!\bca)(?<!approx)(?<!e\.g)(?<!i\.e)[.!?](?=\s|$)"
)
_OPTION_LABEL = re.compile(r"[*_]*\(?([A-J])\)?[.):]?(?=\s)")
_CODE_BLOCK = re.compile(r"```[^\n`]*\n(.*?)\n?[ \t]*```", re.DOTALL)
_BOLD_LINE = re.compile(r"^[ \t]*(?:\*\*([^*\n]{1,200}?)\*\*|__([^_\n]{1,200}?)__)[ \t.]*$")


def _last(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    found = None
    for found in pattern.finditer(text):
        pass
    return found


def tagged(text: str) -> Marked | None:
    """The content of the last <answer>…</answer> (or <final_answer>)."""
    lowered = text.lower()
    best: Marked | None = None
    for name in _TAGS:
        end = lowered.rfind(f"</{name}>")
        start = lowered.rfind(f"<{name}>", 0, end) if end >= 0 else -1
        if start >= 0 and (best is None or start > best[0]):
            best = (start, text[start + len(name) + 2 : end].strip())
    return best


def boxed(text: str) -> Marked | None:
    """The content of the last \\boxed{…} (or \\fbox{…}), braces balanced; None if none closes."""
    start = max(text.rfind(b) for b in _BOXED)
    if start < 0:
        return None
    i = text.index("{", start) + 1
    depth = 1
    for j in range(i, min(len(text), i + 4 * STATED_MAX)):
        ch = text[j]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return start, text[i:j].strip()
    return None


def answer_line(text: str) -> Marked | None:
    """What follows the last "Final answer:" / "Answer:" / "####" label, to the end of its sentence."""
    found = _last(_ANSWER_LINE, text)
    if found is None:
        return None
    line = (found.group(1) or found.group(2) or "").strip()
    inner = statement(line)  # "Final Answer: The final answer is $5$. I hope it is correct."
    stated = inner[1] if inner is not None else _sentence(line)
    return (found.start(), stated) if stated is not None else None


def after_heading(text: str) -> Marked | None:
    """The first line or code block after the last "### Answer" / "**Final answer**" heading."""
    found = _last(_HEADING, text)
    if found is None:
        return None
    rest = text[found.end() :].lstrip()
    if rest.startswith("```"):
        block = _CODE_BLOCK.match(rest)
        return (found.start(), block.group(1).strip()) if block else None
    line = rest.split("\n", 1)[0].strip()
    return (found.start(), line) if line and len(line) <= STATED_MAX else None


def statement(text: str) -> Marked | None:
    """The answer the last "the answer is X" statement states, to the end of its sentence."""
    found = _last(_STATEMENT, text)
    if found is None:
        return None
    start = found.end()
    if text[start:].lstrip(" \t").startswith("\n"):  # "The answer is:" and the answer on the next line
        start = text.index("\n", start) + 1
        while text.startswith("\n", start):
            start += 1
    stated = _sentence(_line(text, start))
    return (found.start(), stated) if stated is not None else None


def statements(text: str) -> list[Marked]:
    """The last MAX_STATEMENTS "the answer is X" statements and "Answer: X" lines, in order (X to the end of its
    sentence)."""
    found = [(m.start(), m.end()) for m in _STATEMENT.finditer(text)]
    found += [(m.start(), m.start(1) if m.group(1) else m.start(2)) for m in _ANSWER_LINE.finditer(text)]
    out = []
    for start, rest in sorted(found)[-MAX_STATEMENTS:]:
        stated = _sentence(_line(text, rest))
        if stated is not None:
            out.append((start, stated))
    return out


def _line(text: str, start: int) -> str:
    """The text from `start` to the end of its line, read at most 2 x STATED_MAX characters far."""
    part = text[start : start + 2 * STATED_MAX]
    end = part.find("\n")
    return part if end < 0 else part[:end]


def _sentence(rest: str) -> str | None:
    """`rest` up to the end of its sentence, without the sentence's closing mark."""
    end = _SENTENCE_END.search(rest)
    found = (rest[: end.start()] if end else rest).strip()
    if len(found) > STATED_MAX:  # "The answer is E. McClelland's model ...": an option and its (long) text
        label = _OPTION_LABEL.match(found)
        return f"({label.group(1)})" if label else None
    return found or None


def closing_code_block(text: str) -> Marked | None:
    """The content of a fenced code block that ends the reply."""
    stripped = text.rstrip()
    if not stripped.endswith("```"):
        return None
    opening = stripped.rfind("```", 0, len(stripped) - 3)
    found = _CODE_BLOCK.fullmatch(stripped, opening) if opening >= 0 else None
    return (opening, found.group(1).strip()) if found else None


def bold_last_line(text: str) -> Marked | None:
    """A closing line that is wholly bold: "**42**"."""
    stripped = text.rstrip()
    start = stripped.rfind("\n") + 1
    found = _BOLD_LINE.match(stripped[start:])
    return (start, (found.group(1) or found.group(2)).strip()) if found else None
