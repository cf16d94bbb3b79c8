"""Option letters (A-J): an extracted answer that names one, and statements that do ("Option B is correct")."""

from __future__ import annotations

import re

from .markup import Marked

# an answer that is a letter: "B", "(b)", "B)", "b.", "Option B", "choice (C)"; a bare lowercase letter only
# where the answer came from a sentence (`loose`): in JSON or a tag, "b" is the text "b" (code output, a word)
_UPPER = re.compile(r"^(?:(?:option|choice)[ \t]*)?\(?[ \t]*([A-J])[ \t]*\)?[.):]?$", re.IGNORECASE)
_STRICT = re.compile(r"^(?:(?:option|choice)[ \t]*)?(?:\([ \t]*([a-jA-J])[ \t]*\)|([A-J])|([a-jA-J])[.):])[.):]?$")
# an answer opening with an option label followed by the option's text: "B) Paris", "(B) Paris", "B. Paris", "B - Paris"
_LABELLED = re.compile(r"^(?:\(([a-jA-J])\)|([A-J])[.):]|([A-J])[ \t]+[-\u2013\u2014])[ \t]+\S")
# in a sentence also "b) paris", and a letter followed by more of the sentence: "B, not A", "B because ..."
_LABELLED_LOOSE = re.compile(
    r"^(?:\(([a-jA-J])\)|([a-jA-J])[.)]|([A-J])[ \t]+[-\u2013\u2014])[ \t]+\S|^([A-J])(?=[,;][ \t]|[ \t]+(?:because|since|as)\b)"
)
# "Option B is correct", "(C) is the right answer", "B is the best choice" (a bare "I is ..." is a numeral)
_IS_RIGHT = re.compile(
    r"(?:(?i:option|choice)[ \t]+\(?([a-jA-J])\)?|(?:^|(?<=[\n.:;!?]))[ \t]*\(?([A-HJ])\)?)"
    r"[ \t]+is[ \t]+(?:the[ \t]+)?(?:correct|right|best)(?:[ \t]+(?:answer|option|choice))?[ \t]*(?:[.!,;:]|$)",
    re.MULTILINE,
)


_ANY_LABEL = re.compile(r"\([a-jA-J]\)")
TAIL = 8_000  # "Option B is correct" is read in the reply's last TAIL characters (a verdict closes a reply)
_IS_RIGHT_HINT = re.compile(r"is[ \t]+(?:the[ \t]+)?(?:correct|right|best)", re.IGNORECASE)


def letter_of(raw: str, loose: bool) -> str | None:
    """The option letter an extracted answer names, or None. `loose`: the answer came from a sentence ("the
    answer is b."), where a bare lowercase letter is a letter too."""
    answer = raw.strip().strip("*_`").strip()
    found = (_UPPER if loose else _STRICT).match(answer)
    if found:
        return next(g for g in found.groups() if g).upper()
    if answer.startswith("(") and len(_ANY_LABEL.findall(answer)) > 1:  # "(a) square, (b) circular": several
        return None
    found = (_LABELLED_LOOSE if loose else _LABELLED).match(answer)
    return next(g for g in found.groups() if g).upper() if found else None


def letter_is_right(text: str) -> Marked | None:
    """The last "Option B is correct" / "(C) is the right answer" statement: (where, the letter)."""
    tail = max(0, len(text) - TAIL)  # the full pattern tries every position: only in the reply's closing part,
    if _IS_RIGHT_HINT.search(text, tail) is None:  # and only when its cue is there
        return None
    found = None
    for found in _IS_RIGHT.finditer(text, tail):
        pass
    return (found.start(), next(g for g in found.groups() if g).upper()) if found else None
