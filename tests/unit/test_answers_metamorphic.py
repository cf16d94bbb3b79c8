"""Metamorphic tests of the agreement relation (issue 20): final answers recorded in ../shared/data (RouterBench
ARC-Challenge and Winogrande letters, MMLU-Pro letters and option texts, MBPP code; alpaca_eval long answers) and
generated ones (numbers in every notation, math, Python/JSON literals, short strings, yes/no), each rendered as a
whole reply in formats real models use (tests/support/answer_formats.py; the format names are in the test ids);
and MMLU-Pro's recorded full responses as they are ("recorded") against renderings of their letter.

- Two renderings of one final answer, in two different formats, agree.
- Renderings of two different final answers do not agree (undecided is fine: the cascade escalates): different
  recorded answers, right vs wrong code, and look-alikes (case, punctuation, repeated characters, sign, one digit,
  0.5 vs 5, a string vs a list, a different unit, letter or expression).

A seeded sample of the pairs benchmarks/answers/agreement.py measures in full. Without ../shared/data only the
generated answers are tested.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest
from math_verify import parse, verify

from litellm_fusion.engine.answers import compare_replies, math_equivalence
from litellm_fusion.engine.records import Candidate
from tests.support.answer_cases import LOOKALIKES, MATH
from tests.support.answer_data import available, long_pairs, mmlu_pro_full_responses, recorded_families
from tests.support.answer_pairs import Pair, all_pairs

SEED = 20


@pytest.fixture(autouse=True)
def _unhurried_math(monkeypatch: pytest.MonkeyPatch) -> None:
    """Math equivalence decided, not timed out: these cases test the relation; its time bound is measured by
    benchmarks/answers/agreement.py (under load a comparison may be undecided instead)."""
    monkeypatch.setattr(math_equivalence, "TIMEOUT_S", 30.0)


RESPONSES = mmlu_pro_full_responses() if available() else []
PAIRS = all_pairs(recorded_families(), SEED, per_format_pair=0.25, different=15, per_lookalike=3, responses=RESPONSES)


def compare(a: str, b: str):
    return asyncio.run(compare_replies(Candidate(0, "m0", a), Candidate(1, "m1", b)))


def _explain(pair: Pair, a: str, b: str, got) -> str:
    return f"{got.outcome} ({got.reason}); read {got.a} and {got.b}\n--- reply a ---\n{a}\n--- reply b ---\n{b}"


@pytest.mark.parametrize("pair", [p for p in PAIRS if p.expect], ids=Pair.id)
def test_renderings_of_one_answer_agree(pair: Pair) -> None:
    a, b = pair.texts()
    got = compare(a, b)
    assert got.outcome == "agree", _explain(pair, a, b, got)


@pytest.mark.parametrize("pair", [p for p in PAIRS if not p.expect], ids=Pair.id)
def test_different_answers_do_not_agree(pair: Pair) -> None:
    a, b = pair.texts()
    got = compare(a, b)
    assert got.outcome != "agree", _explain(pair, a, b, got)


@pytest.mark.parametrize(("a", "b"), [pytest.param(a, b, id=label) for label, a, b in long_pairs(20, SEED)])
def test_different_long_answers_do_not_agree(a: str, b: str) -> None:
    """Two models' long free-form answers (alpaca_eval) to two different instructions."""
    got = compare(a, b)
    assert got.outcome != "agree", f"{got.outcome} ({got.reason})"


def _mv(text: str):
    return parse(f"${text}$", parsing_timeout=None)  # type: ignore[arg-type]


@pytest.mark.parametrize("ans", MATH, ids=lambda a: a.id())
def test_math_answers_are_equivalent_for_math_verify(ans) -> None:
    """The test data's own claim: math-verify decides every form of a math answer equal."""
    for x, y in itertools.combinations(ans.forms, 2):
        assert verify(_mv(x), _mv(y), timeout_seconds=None), (x, y)  # type: ignore[arg-type]


@pytest.mark.parametrize("la", [la for la in LOOKALIKES if la.a.kind == "math"], ids=lambda la: la.a.id())
def test_math_lookalikes_differ_for_math_verify(la) -> None:
    for x, y in itertools.product(la.a.forms, la.b.forms):
        assert not verify(_mv(x), _mv(y), timeout_seconds=None), (x, y)  # type: ignore[arg-type]
