"""What an answer says, read from its text: the option letter, final number, stated final answer, yes/no word
and plain words the agreement rules (engine/answers.py) compare. Each reader is total: None when the text does
not say one."""

from __future__ import annotations

import json
import re

_WORD = re.compile(r"[a-z0-9]+")
SHORT = 200

# ---- plain text: markup that does not change an answer ----
_EMPHASIS = re.compile(r"\*\*|__|`+")
_WRAPPED = re.compile(r"(?<![\w*])[*_]([^*_\n]+?)[*_](?![\w*])")  # *B*, _B_
_LATEX_TEXT = re.compile(r"\\(?:text|textbf|mathrm|mathbf|mbox)\s*\{([^{}]*)\}")


def plain_text(text: str) -> str:
    text = text.replace("\u2212", "-")
    text = _LATEX_TEXT.sub(r"\1", text)
    text = _EMPHASIS.sub("", text)
    return _WRAPPED.sub(r"\1", text)


# ---- option letters ----
_LETTER = re.compile(
    r"^\s*(?:the\s+)?(?:correct\s+)?(?:answer|option|choice)?\s*(?:is|:)?\s*\(?([a-j])\)?[.):]?\s*$", re.IGNORECASE
)
_LEADING = re.compile(r"^\s*(?:\(([a-jA-J])\)|([a-jA-J])[.):])\s+\S|^\s*([A-J])\s+[-\u2013\u2014]\s")
_LETTER_TAIL = re.compile(  # keyword in any case; bare lowercase letter only before punctuation; "I think" is no I
    r"(?i:answer|option|choice)\s*(?i:is|:|would\s+be|should\s+be|must\s+be)\s*:?\s*"
    r"(?:\(\s*([a-jA-J])\s*\)|(?!I\s+[a-z])([A-J])(?![\w'])|([a-j])(?=\s*(?:[):;,!?]|\.(?!\w)|$)))"
)
_BOXED_LETTER = re.compile(r"\\boxed\{\s*\(?([a-jA-J])\)?\s*\}")
_LETTER_IS_RIGHT = re.compile(  # "Option B is correct", "(C) is the right answer", "B is the best choice"
    r"(?:(?i:option|choice)\s+\(?([a-jA-J])\)?|(?:^|(?<=[\n.:;!?]))[ \t]*\(?([A-HJ])\)?)"  # a bare "I is ..." is a numeral
    r"[ \t]+is[ \t]+(?:the[ \t]+)?(?:correct|right|best)(?:[ \t]+(?:answer|option|choice))?[ \t]*(?:[.!,;:]|$)"
)


def option_letter(text: str) -> str | None:
    """The option letter an answer settles on (its last statement of one), or None."""
    plain = plain_text(text)
    short = plain.strip()
    match = _LETTER.match(short) if len(short) <= 40 else None
    if match:
        return match.group(1).upper()
    stated = [(m.start(), next(g for g in m.groups() if g)) for m in _LETTER_TAIL.finditer(plain)]
    stated += [(m.start(), m.group(1)) for m in _BOXED_LETTER.finditer(plain)]
    stated += [(m.start(), next(g for g in m.groups() if g)) for m in _LETTER_IS_RIGHT.finditer(plain)]
    if stated:
        return max(stated)[1].upper()
    stripped = plain.strip()
    lead = _LEADING.match(stripped) if "\n" not in stripped and len(stripped) <= SHORT else None
    return next(g for g in lead.groups() if g).upper() if lead else None


# ---- numbers ----
_NUMBER = (
    r"-?\d+\s*/\s*\d+(?!\d|\.\d)"  # a fraction: 3/4
    r"|\\d?frac\{\s*-?\d+\s*\}\{\s*\d+\s*\}"  # \frac{3}{4}
    r"|-?\d{1,3}(?:[ \u00a0\u2009\u202f']\d{3})+(?:\.\d+)?(?!\d)"  # 1 000 000 / 1'000
    r"|-?\d[\d,]*(?:\.\d+)?"
)
# a number that is not a term of an expression ("3x", "9 * 2", "x + 2"; "= 18" is a result, so it counts)
_NUM_START = r"(?<![\w.^])(?<![-+*/^\u00d7\u00f7]\s)(?<![-+*/^\u00d7\u00f7])"
_NUM_END = (
    r"(?![.,]\d)(?!\s*\\[a-zA-Z])(?![\w^(\\])(?!\s*[-+*/^=\u00d7\u00f7]\s*[\w(\\$])"
    r"(?!\s*(?:and|or|to|,|\u2013)\s*-?\d)(?!\s*\(?\s*\\?p?mod\b)"
)  # nor one of a list: "2 and 3", "5 (mod 7)"
_ENDING_NUMBER = re.compile(_NUM_START + r"(" + _NUMBER + r")\s*%?\s*[.!]?\s*$")
_NUMBER_WITH_UNIT = re.compile(
    r"\$?\s*(" + _NUMBER + r")\s*%?(?:\s+[a-z\u00b0\u00b5][a-z\u00b0\u00b5/\u00b2\u00b3]*){0,2}\s*[.!]?", re.IGNORECASE
)
_STATED = re.compile(r"(?:answer\s*(?:is|:)\s*:?|####|\\boxed\{)\s*\$?\s*(" + _NUMBER + r")" + _NUM_END, re.IGNORECASE)
_FRAC = re.compile(r"\\d?frac\{\s*(-?\d+)\s*\}\{\s*(\d+)\s*\}|(-?\d+)\s*/\s*(\d+)")


def _number_value(raw: str) -> float | None:
    frac = _FRAC.fullmatch(raw.strip())
    try:
        if frac:
            num, den = (frac.group(1), frac.group(2)) if frac.group(1) is not None else (frac.group(3), frac.group(4))
            return float(num) / float(den) if float(den) else None
        return float(re.sub(r"[,\s\u00a0\u2009\u202f']", "", raw))
    except ValueError:
        return None


def final_number(text: str, short: bool) -> float | None:
    """The number an answer settles on: the last one it states ("the answer is 42", "#### 42", "\\boxed{42}");
    else, for a short answer, the number it ends with or is ("The total is 1,000.", "42 apples"); None for a long
    answer that states none (its last number is as often an example's or a step's as the answer)."""
    found = final_quantity(text, short)
    return None if found is None else found[0]


_UNIT_TAIL = re.compile(
    r"[\s}$)\]*]*%?\s*((?:[a-z\u00b0\u00b5][\w\u00b0\u00b5/\u00b2\u00b3^]*\s*){0,2}?)[\s}$)\]*]*[.!]?\s*$",
    re.IGNORECASE,
)


def final_quantity(text: str, short: bool) -> tuple[float, str | None] | None:
    """`final_number` and the unit written after it ("hours" in "3 hours."; "" for none), or None for the unit
    when more than a unit follows the number: two answers agree on a number only if their known units do."""
    return quantity_of(plain_text(text), stated_answer(text) is not None, short)


def quantity_of(plain: str, states_answer: bool, short: bool) -> tuple[float, str | None] | None:
    """`final_quantity` from what the caller already read: the answer's plain text and whether it states a final
    answer (`stated_answer`)."""
    stated = list(_STATED.finditer(plain))
    if stated:
        match = stated[-1]
    elif states_answer:  # it states an answer that is not a number ("the answer is 3x + 2")
        return None
    elif short:  # a long answer must state its number: the last number of prose is too often an example's
        body = ANSWER_PREFIX.sub("", plain.strip(), count=1)
        match = _NUMBER_WITH_UNIT.fullmatch(body) or _ENDING_NUMBER.search(plain)
        plain = body if match is not None and match.string is body else plain
    else:
        return None
    if match is None:
        return None
    value = _number_value(match.group(1))
    if value is None:
        return None
    rest = re.split(r"(?<=[.!?])\s|\n", plain[match.end(1) :], maxsplit=1)[0]
    tail = _UNIT_TAIL.fullmatch(rest)
    return value, (" ".join(tail.group(1).lower().split()) if tail else None)


# ---- a stated final answer that is not a number or an option: "the answer is Paris.", \\boxed{x^2+1} ----
STATED_MAX = 60
_STATEMENT = re.compile(  # up to the end of its line or sentence
    r"(?:(?:the\s+)?final\s+answer\s*(?:is|:)|the\s+answer\s+is|(?<![\w])answer\s*:|####)[ \t:]*([^\n]*?)(?=(?<!\b[A-Z])(?<!\b[A-Z][a-z])(?<!\b[A-Z][a-z]{2})(?<!\bca)(?<!\bapprox)(?<!\bvs)[.!?](?:\s|$)|\n|$)",
    re.IGNORECASE,
)
_LATEX_NOISE = re.compile(r"\\left(?![a-zA-Z])|\\right(?![a-zA-Z])|\\[,;!: ]|\\displaystyle|[$\s]")


def _boxed(text: str) -> str | None:
    """The content of the last \\boxed{...}, braces balanced; None if there is none (or it never closes)."""
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth, i = 1, start + len("\\boxed{")
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i:j]
    return None


def stated_form(found: str) -> str | None:
    found = found.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").strip().rstrip(".").strip()
    normal = _LATEX_NOISE.sub("", found)
    if "\\" not in found and "$" not in found:  # text: case does not matter ("Paris"); in math it does (\Delta, X)
        normal = normal.lower()
    return normal if normal and len(found) <= STATED_MAX else None


def stated_answer(text: str) -> str | None:
    """The final answer a worked answer states (boxed, or after "the answer is" / "final answer:" / "####"),
    normalised for comparison; None when it states none, or states something too long to be an answer."""
    plain = plain_text(text)
    found = _boxed(plain)
    if found is None:
        statements = _STATEMENT.findall(plain)
        found = statements[-1] if statements else None
        while found is not None and len(found) <= 4 * STATED_MAX and (inner := _STATEMENT.match(found.strip())):
            # "Final Answer: The final answer is x"; a longer statement is no answer anyway (stated_form)
            found = inner.group(1)
    return None if found is None else stated_form(found)


# ---- yes / no / true / false, and short answers ----
ANSWER_PREFIX = re.compile(r"^\s*(?:the\s+)?(?:final\s+|correct\s+)?answer\s*(?:is|:)\s*:?\s*", re.IGNORECASE)
_POLAR = re.compile(r"(yes|no|true|false)\s*(?:$|[.,;:!])", re.IGNORECASE)


def polar_word(plain: str) -> str | None:
    match = _POLAR.match(ANSWER_PREFIX.sub("", plain.strip(), count=1))
    return match.group(1).lower() if match else None


def normal_text(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def trigrams(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


# ---- an answer given as a JSON object: {"answer": "B", "reasoning": "..."} ----
_JSON_FENCE = re.compile(r"^```(?:json)?\s*\n(.*)\n```$", re.DOTALL)
ANSWER_KEYS = ("answer", "final_answer", "finalAnswer")


def json_answer(text: str) -> str | None:
    """The answer field of an answer that is one JSON object (fenced or not), as text; None otherwise."""
    stripped = text.strip()
    fenced = _JSON_FENCE.match(stripped)
    body = fenced.group(1).strip() if fenced else stripped
    if not body.startswith("{"):
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    found = next((value[k] for k in ANSWER_KEYS if k in value), None)
    if isinstance(found, bool) or not isinstance(found, (str, int, float)):
        return None
    return str(found)
