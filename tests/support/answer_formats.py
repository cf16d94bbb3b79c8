"""Whole model replies around a given final answer, in the formats real models use (issue 20's metamorphic suite
and benchmarks/answers/agreement.py).

An `Answer` is one final answer with the equivalent ways to write it (`forms`: "1,000" / "1e3", "B" / "B) Paris",
"\\frac{\\sqrt{3}}{2}" / "sqrt(3)/2"); `render(answer, fmt, seed)` writes a whole reply in format `fmt`, picking a
form and a worked reasoning from the seed, so the same arguments always give the same text. The reasoning holds
distractors (other option letters, numbers, literals, LaTeX) that are not the answer, as real worked answers do,
and never states an answer ("the answer is ..."): only the format's own marker does.

Formats (`FORMATS`, name -> the kinds it is used for) are described on their renderers below.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .answer_reasoning import reasoning

KINDS = ("letter", "number", "math", "literal", "text", "yesno", "code")
LATEX_SPECIAL = str.maketrans({"%": "\\%", "$": "\\$", "#": "\\#", "&": "\\&", "_": "\\_"})


@dataclass(frozen=True)
class Answer:
    """One final answer. `forms[0]` is the canonical writing; every form means the same answer.
    `latex`: forms that are LaTeX (math mode) rather than plain text. `json_value`: the answer as a native JSON
    value (a list, dict, bool or number) that the JSON formats may write instead of a string."""

    kind: str
    forms: tuple[str, ...]
    label: str = ""
    latex: frozenset[str] = frozenset()
    json_value: Any = field(default=None, compare=False)
    has_json_value: bool = False
    value: float | None = None  # a number's value (the reasoning's distractor numbers avoid it)

    @property
    def text(self) -> str:
        return self.forms[0]

    def id(self) -> str:
        return self.label or self.text[:24]


def answer(
    kind: str,
    *forms: str,
    label: str = "",
    latex: tuple[str, ...] | None = None,
    json_value: Any = ...,
    value: float | None = None,
) -> Answer:
    """An Answer; `json_value` given (even None) means the JSON formats may write it natively; `latex`: the forms
    that are LaTeX (default: math and number forms holding a backslash)."""
    if kind not in KINDS:
        raise ValueError(f"unknown answer kind {kind!r}")
    has = json_value is not ...
    if latex is None:  # by default a math or number form with a LaTeX command is LaTeX
        latex = tuple(f for f in forms if kind in ("math", "number") and "\\" in f)
    return Answer(kind, tuple(forms), label, frozenset(latex), json_value if has else None, has, value)


@dataclass(frozen=True)
class Writing:
    """The answer as one format writes it: the chosen form, in text and inside LaTeX."""

    form: str
    is_latex: bool
    kind: str

    def inline(self, rng: random.Random, quote_text: bool = False) -> str:
        """In running text: LaTeX between $...$, a string answer between quotes where asked."""
        if self.is_latex:
            return rng.choice(("${}$", "\\({}\\)")).format(self.form)
        if quote_text and self.kind == "text":
            return f'"{self.form}"'
        if quote_text and self.kind in ("literal", "code"):
            return f"`{self.form}`"
        return self.form

    def in_latex(self, rng: random.Random) -> str:
        if self.is_latex:
            return self.form
        if self.kind in ("text", "yesno") and rng.random() < 0.6:
            return "\\text{" + self.form.translate(LATEX_SPECIAL) + "}"
        if self.kind == "letter" and rng.random() < 0.3:
            return "\\text{" + self.form + "}"
        return self.form.translate(LATEX_SPECIAL) if self.kind == "number" else self.form


def _pick(ans: Answer, rng: random.Random, plain_only: bool = False) -> Writing:
    forms = [f for f in ans.forms if not (plain_only and f in ans.latex)] or list(ans.forms)
    form = rng.choice(forms)
    return Writing(form, form in ans.latex, ans.kind)


def _json_answer(ans: Answer, w: Writing, rng: random.Random) -> Any:
    if ans.has_json_value and rng.random() < 0.5:
        return ans.json_value
    return w.form


def _obj(ans: Answer, rng: random.Random, w: Writing) -> dict[str, Any]:
    return {"reasoning": reasoning(ans, rng, one_line=True), "answer": _json_answer(ans, w, rng)}


Renderer = Callable[[Answer, random.Random], str]


def bare(ans: Answer, rng: random.Random) -> str:
    """Only the answer (LaTeX forms sometimes between $...$)."""
    w = _pick(ans, rng)
    return w.inline(rng) if w.is_latex and rng.random() < 0.5 else w.form


def json_object(ans: Answer, rng: random.Random) -> str:
    """A JSON object {"reasoning": ..., "answer": ...}, compact or indented."""
    return json.dumps(_obj(ans, rng, _pick(ans, rng)), indent=rng.choice((None, 2)), ensure_ascii=False)


def json_fenced(ans: Answer, rng: random.Random) -> str:
    """The same object in a ```json fenced block."""
    return "```json\n" + json.dumps(_obj(ans, rng, _pick(ans, rng)), indent=2, ensure_ascii=False) + "\n```"


def prose_json(ans: Answer, rng: random.Random) -> str:
    """Worked reasoning in prose, then a fenced ```json block with the answer."""
    body = {"answer": _json_answer(ans, _pick(ans, rng), rng)}
    if rng.random() < 0.5:
        body = {"reasoning": reasoning(ans, rng, one_line=True), **body}
    return reasoning(ans, rng) + "\n\n```json\n" + json.dumps(body, indent=2, ensure_ascii=False) + "\n```"


def prose_json_unfenced(ans: Answer, rng: random.Random) -> str:
    """Worked reasoning in prose, then the JSON object on its own, unfenced, at the end."""
    body = {"answer": _json_answer(ans, _pick(ans, rng), rng)}
    return reasoning(ans, rng) + "\n\n" + json.dumps(body, ensure_ascii=False)


def _raw_string(text: str) -> str:
    """A JSON string as models write it by hand: quotes escaped, backslashes left raw (LaTeX)."""
    return '"' + text.replace('"', '\\"').replace("\n", "\\n") + '"'


def json_latex(ans: Answer, rng: random.Random) -> str:
    """JSON written with raw LaTeX backslashes: invalid escapes ("\\sqrt") and escapes that decode to other
    characters ("\\frac" is a form feed, "\\times" a tab, "\\beta" a backspace, "\\right" a carriage return)."""
    w = _pick(ans, rng)
    value = _json_answer(ans, w, rng) if not w.is_latex else w.form
    shown = _raw_string(value) if isinstance(value, str) else json.dumps(value)
    why = _raw_string(reasoning(ans, rng, one_line=True, force_latex=True))
    return '{\n  "reasoning": ' + why + ',\n  "answer": ' + shown + "\n}"


def json_trailing_comma(ans: Answer, rng: random.Random) -> str:
    """Indented JSON object with a trailing comma after the last member."""
    text = json.dumps(_obj(ans, rng, _pick(ans, rng)), indent=2, ensure_ascii=False)
    return text[: text.rindex("\n}")] + ",\n}"


def json_single_quotes(ans: Answer, rng: random.Random) -> str:
    """The object written as a Python dict (single quotes, True/None)."""
    return repr(_obj(ans, rng, _pick(ans, rng)))


def json_unterminated(ans: Answer, rng: random.Random) -> str:
    """The object cut before its closing brace (a reply that stopped early)."""
    return json.dumps(_obj(ans, rng, _pick(ans, rng)), indent=rng.choice((None, 2)), ensure_ascii=False)[:-1]


def boxed(ans: Answer, rng: random.Random) -> str:
    """A worked answer ending in \\boxed{...} (LaTeX answers keep their nested braces)."""
    w = _pick(ans, rng)
    box = "\\boxed{" + w.in_latex(rng) + "}"
    end = rng.choice(("Thus ${}$.", "$$\n{}\n$$", "\\[\n{}\n\\]", "Therefore, ${}$"))
    return reasoning(ans, rng) + "\n\n" + end.format(box)


def bold_final(ans: Answer, rng: random.Random) -> str:
    """A worked answer ending "**Final Answer:** X" (or "**Final answer**: X")."""
    w = _pick(ans, rng)
    label = rng.choice(("**Final Answer:** {}", "**Final answer**: {}", "**Final Answer**\n\n{}"))
    return reasoning(ans, rng) + "\n\n" + label.format(w.inline(rng))


def heading_line(ans: Answer, rng: random.Random) -> str:
    """A worked answer, then an "### Answer" heading followed by the answer on its own line."""
    w = _pick(ans, rng)
    title = rng.choice(("### Answer", "## Final Answer", "### Final answer"))
    return "### Reasoning\n" + reasoning(ans, rng) + f"\n\n{title}\n{w.inline(rng)}"


def heading_block(ans: Answer, rng: random.Random) -> str:
    """A worked answer, then an "### Answer" heading followed by a code block holding the answer."""
    w = _pick(ans, rng, plain_only=True)
    lang = rng.choice(("", "text", "python")) if ans.kind in ("literal", "code") else rng.choice(("", "text"))
    return reasoning(ans, rng) + f"\n\n### Answer\n```{lang}\n{w.form}\n```"


def answer_tag(ans: Answer, rng: random.Random) -> str:
    """A worked answer, then <answer>X</answer> (on one line or around lines of their own)."""
    w = _pick(ans, rng)
    inner = w.inline(rng) if w.is_latex and rng.random() < 0.5 else w.form
    tag = rng.choice(("<answer>{}</answer>", "<answer>\n{}\n</answer>"))
    return reasoning(ans, rng) + "\n\n" + tag.format(inner)


def answer_line(ans: Answer, rng: random.Random) -> str:
    """A worked answer ending with an "ANSWER: X" line (or "Answer: X")."""
    w = _pick(ans, rng)
    return reasoning(ans, rng) + "\n\n" + rng.choice(("ANSWER: ", "Answer: ")) + w.inline(rng)


def closing_sentence(ans: Answer, rng: random.Random) -> str:
    """A worked answer ending in a sentence: "So the answer is X." (string answers quoted)."""
    w = _pick(ans, rng)
    lead = rng.choice(("So the answer is {}.", "Therefore, the final answer is {}.", "The answer is {}."))
    return reasoning(ans, rng) + " " + lead.format(w.inline(rng, quote_text=True))


def closing_code_block(ans: Answer, rng: random.Random) -> str:
    """A worked answer ending in a code block that holds only the answer."""
    w = _pick(ans, rng, plain_only=True)
    lang = rng.choice(("", "text")) if ans.kind != "code" else "python"
    return reasoning(ans, rng) + f"\n\n```{lang}\n{w.form}\n```"


def bold_line(ans: Answer, rng: random.Random) -> str:
    """A worked answer whose last line is the answer in bold."""
    w = _pick(ans, rng)
    return reasoning(ans, rng) + "\n\n**" + w.inline(rng) + "**"


_ALL = frozenset(KINDS) - {"code"}
_SHORT = frozenset({"letter", "number", "math", "yesno", "text", "literal"})
FORMATS: dict[str, tuple[Renderer, frozenset[str]]] = {
    "bare": (bare, frozenset(KINDS)),
    "json": (json_object, frozenset(KINDS)),
    "json_fenced": (json_fenced, frozenset(KINDS)),
    "prose_json": (prose_json, frozenset(KINDS)),
    "prose_json_unfenced": (prose_json_unfenced, _ALL),
    "json_latex": (json_latex, _ALL),
    "json_trailing_comma": (json_trailing_comma, _ALL),
    "json_single_quotes": (json_single_quotes, _ALL),
    "json_unterminated": (json_unterminated, _ALL),
    "boxed": (boxed, _SHORT),
    "bold_final": (bold_final, _SHORT),
    "heading_line": (heading_line, _SHORT),
    "heading_block": (heading_block, frozenset({"number", "literal", "text", "code"})),
    "answer_tag": (answer_tag, frozenset(KINDS)),
    "answer_line": (answer_line, _SHORT),
    "closing_sentence": (closing_sentence, _SHORT),
    "closing_code_block": (closing_code_block, frozenset({"number", "literal", "text", "code"})),
    "bold_line": (bold_line, frozenset({"letter", "number", "math", "yesno", "text"})),
}


def formats_for(kind: str) -> list[str]:
    """The formats used for answers of this kind, in FORMATS order."""
    return [name for name, (_, kinds) in FORMATS.items() if kind in kinds]


def render(ans: Answer, fmt: str, seed: int | str = 0) -> str:
    """A whole reply in format `fmt` whose final answer is `ans`; the same arguments give the same text."""
    renderer, kinds = FORMATS[fmt]
    if ans.kind not in kinds:
        raise ValueError(f"format {fmt} is not used for {ans.kind} answers")
    return renderer(ans, random.Random(f"{seed}|{fmt}|{ans.kind}|{ans.text}"))
