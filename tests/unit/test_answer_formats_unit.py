"""The renderer library of the answer-agreement suite (tests/support/answer_formats.py) does what the suite relies
on: deterministic replies given a seed, the answer written where the format puts it, and reasoning that never
states an answer."""

from __future__ import annotations

import json
import random

import pytest

from tests.support.answer_cases import GENERATED
from tests.support.answer_data import letter
from tests.support.answer_formats import FORMATS, Answer, formats_for, render
from tests.support.answer_reasoning import reasoning

ANSWERS = [a for answers in GENERATED.values() for a in answers] + [letter("C", "Paris"), letter("J")]


def test_at_least_twelve_formats_per_short_kind() -> None:
    assert len(FORMATS) >= 12
    for kind in ("letter", "number", "math", "literal", "text", "yesno"):
        assert len(formats_for(kind)) >= 12, kind


@pytest.mark.parametrize("fmt", FORMATS)
def test_rendering_is_deterministic_and_holds_the_answer(fmt: str) -> None:
    for ans in ANSWERS:
        if fmt in formats_for(ans.kind):
            _check(ans, fmt)


def _check(ans: Answer, fmt: str) -> None:
    text = render(ans, fmt, seed=7)
    assert render(ans, fmt, seed=7) == text
    written = set(ans.forms) | {json.dumps(f)[1:-1] for f in ans.forms} | {repr(f)[1:-1] for f in ans.forms}
    if ans.has_json_value:
        written |= {json.dumps(ans.json_value), repr(ans.json_value)}
    latex = {f.translate(str.maketrans({"%": "\\%", "$": "\\$", "#": "\\#", "_": "\\_"})) for f in ans.forms}
    squeezed = "".join(text.split())  # an indented JSON value is written over several lines
    assert any("".join(w.split()) in squeezed for w in written | latex), text


def test_reasoning_states_no_answer() -> None:
    for ans in ANSWERS:
        for seed in range(20):
            text = reasoning(ans, random.Random(seed), force_latex=seed % 2 == 0).lower()
            assert "answer" not in text and "\\boxed" not in text, text
