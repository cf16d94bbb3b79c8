"""A reply's final answer, found in layers, cheapest and most explicit first, with where it came from:

1. the answer contract, when the operator or the request states one (`json_field:<name>`, `regex:<pattern>`);
2. structured: the answer field of a JSON object that is the whole reply, its last fenced JSON block, or closes
   its prose (structured.py: lenient about LaTeX backslashes, trailing commas, quotes, unterminated output);
3. `<answer>…</answer>` tags;
4. the LAST of the marks in the text (markup.py, letters.py): `\\boxed{}`, a "Final answer:" / "Answer:" / "####"
   line, an "### Answer" heading and the line or block after it, a "the answer is X" statement, "Option B is
   correct" — a later statement wins over an earlier one, and over any number met in the reasoning;
5. a bold closing line, a closing code block;
6. a short reply as a whole ("B", "42 apples", "Paris.");
7. otherwise the reply is free-form prose (kind `long`).
What was found is then typed (kinds.py). Every step is linear in the (bounded: bounds.py) reply.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from . import markup
from .bounds import window
from .kinds import SHORT, classify
from .letters import letter_is_right, letter_of
from .model import AnswerContract, FinalAnswer
from .structured import json_answer

# sources whose text is a sentence: a bare lowercase letter there names an option ("the answer is b.")
_SENTENCES = {"answer_line", "statement", "whole"}
_ANSWER_PREFIX = re.compile(r"^\s*(?:the\s+)?(?:final\s+|correct\s+)?answer\s*(?:is|:)\s*:?\s*", re.IGNORECASE)
# LaTeX text wrappers around prose ("\\[ \\text{The answer is (A).} \\]"): the marks are read without them
_LATEX_TEXT = re.compile(r"\\(?:text|textbf|textit|mathrm|mathbf|mbox)\s*\{([^{}]{0,400})\}")
_CLOSING_MARK = re.compile(r"(?<=[\w)\]}$])[.!]$")
# where a stated answer's sentence goes on to explain it: "42, because ...", "B, not A", "Paris; the others ..."
_CLAUSE = re.compile(
    r",[ \t]+(?=(?:because|since|as|which|so|but|not|given|due|while|whereas|though)\b)|;[ \t]|[ \t]+(?:because|since)\b"
)


def _clause(answer: str) -> str:
    if answer[:1] in "'\"`\u2018\u201c":  # a quoted answer is read whole
        return answer
    found = _CLAUSE.search(answer)
    return answer[: found.start()] if found and found.start() > 0 else answer


def _typed(raw: Any, source: str, contract: AnswerContract | None) -> FinalAnswer:
    kind, text, value = classify(raw, source in _SENTENCES, contract.kind if contract else "auto")
    return FinalAnswer(text, kind, source, value)  # type: ignore[arg-type]


def _by_contract(text: str, contract: AnswerContract) -> tuple[str, Any] | None:
    if contract.source == "json_field":
        return json_answer(text, contract.field)
    if contract.source == "regex" and contract.pattern:
        found = None
        for found in re.finditer(contract.pattern, text):
            pass
        if found is not None:
            return "regex", found.group(1) if found.re.groups else found.group(0)
    return None


def _marked(text: str) -> tuple[str, str] | None:
    """The last marked answer in the text: (source, text)."""
    marks = {
        "boxed": markup.boxed(text),
        "answer_line": markup.answer_line(text),
        "heading": markup.after_heading(text),
        "statement": markup.statement(text),
        "letter_statement": letter_is_right(text),
    }
    found = [(mark[0], source, mark[1]) for source, mark in marks.items() if mark is not None]
    if not found:
        return None
    _, source, answer = max(found, key=lambda f: f[0])
    return source, answer


def _stated_option(text: str) -> str | None:
    """The option letter of the reply's last statement that names one, if any."""
    for _, stated in reversed(markup.statements(text)):
        letter = letter_of(_clause(stated.strip()), True)
        if letter is not None:
            return letter
    return None


def extract(reply: str, contract: AnswerContract | None = None) -> FinalAnswer:
    """The final answer of a reply's text."""
    text = window(reply)
    if not text.strip():
        return FinalAnswer("", "none", "empty")
    if contract is not None and contract.source != "auto":
        found = _by_contract(text, contract)
        if found is not None:
            return _typed(found[1], f"contract:{found[0]}", contract)
    structured = json_answer(text)
    if structured is not None:
        return _typed(structured[1], structured[0], contract)
    tag = markup.tagged(text)
    if tag is not None:
        return _typed(tag[1], "tag", contract)
    plain = _LATEX_TEXT.sub(r"\1", text).replace("\u2212", "-")
    marked = _marked(plain)
    if marked is not None:
        answer = marked[1].strip()
        answer = _clause(answer) if marked[0] in _SENTENCES else answer
        found = _typed(answer, marked[0], contract)
        return found if found.kind == "letter" else replace(found, option=_stated_option(plain))
    for source, reader in (("bold_line", markup.bold_last_line), ("code_block", markup.closing_code_block)):
        found = reader(text)
        if found is not None:
            return _typed(found[1], source, contract)
    whole = text.strip()
    if len(whole) <= SHORT and whole.count("\n") <= 1:
        return _typed(_CLOSING_MARK.sub("", _ANSWER_PREFIX.sub("", whole, count=1)), "whole", contract)
    return FinalAnswer(whole if len(whole) <= 4 * SHORT else whole[: 4 * SHORT], "long", "whole", text)
