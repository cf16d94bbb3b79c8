"""The answers package (engine/answers) on general answer shapes: how models write an option letter, a number,
a yes/no, a math expression or a string across task families, and the look-alikes that must not agree.
Ported from the old normaliser's rules; where issue 20 changed the relation the case says so."""

from __future__ import annotations

import asyncio
from collections import OrderedDict

import pytest

from litellm_fusion.engine.answers import compare_replies, extract, math_equivalence
from litellm_fusion.engine.records import Candidate


@pytest.fixture(autouse=True)
def _unhurried_math(monkeypatch):
    """Math equivalence decided, not timed out: these cases test the relation, not the machine's speed."""
    monkeypatch.setattr(math_equivalence, "TIMEOUT_S", 30.0)


def outcome(a: str, b: str) -> str:
    return asyncio.run(compare_replies(Candidate(0, "a", a), Candidate(1, "b", b))).outcome


def same(a: str, b: str) -> bool:
    return outcome(a, b) == "agree"


@pytest.mark.parametrize(
    ("text", "letter"),
    [
        ("B", "B"),
        ("(b)", "B"),
        ("B)", "B"),
        ("A:", "A"),
        ("c.", "C"),
        ("**B**", "B"),
        ("*B*", "B"),
        ("`B`", "B"),
        ("**Answer: B**", "B"),
        ("The correct answer is: **C**", "C"),
        ("Answer: **C**. Because the others are wrong.", "C"),
        ("B) Paris", "B"),
        ("(B) Paris", "B"),
        ("B. Paris", "B"),
        ("b) paris", "B"),
        ("B - Paris", "B"),
        ("The correct option is B) Paris", "B"),
        ("Answer: (b)", "B"),
        ("The answer would be D.", "D"),
        ("I think the answer is B, not A.", "B"),
        ("the answer is (c) because of X", "C"),
        ("\\boxed{C}", "C"),
        ("$\\boxed{\\text{(D)}}$", "D"),
        ("Let's think. Option A fails. So the answer is (A)... wait, no: the answer is (E).", "E"),
        ("Answer: B\nExplanation: A is wrong because it ignores friction.", "B"),
        ("Option B is correct.", "B"),
        ("B is the correct answer.", "B"),
        ("(C) is the right answer", "C"),
        ("Option A is incorrect. Option B is correct. The answer is (D).", "D"),  # the last statement counts
    ],
)
def test_option_letter_shapes(text, letter):
    found = extract(text)
    assert (found.kind, found.value) == ("letter", letter)


@pytest.mark.parametrize(
    "text",
    [
        "The answer is a bit more subtle than that.",  # the article "a" is not option A
        "The answer is I think unclear.",  # nor is the pronoun "I"
        "A questioning attitude helps scientists.",  # a sentence opening with "A"
        "a (small) dog",
        "I is correct, II is not.",  # a bare I is a numeral
        "Option C is correct? Let me check again.",  # a question is no statement
        "Paris",
        "I. Introduction\nThis essay is about trade.\nII. Background",  # a numbered outline, not an option
        "",
    ],
)
def test_not_an_option_letter(text):
    assert extract(text).kind != "letter"


@pytest.mark.parametrize(
    ("text", "short", "value"),
    [
        ("The total is 1,000.", True, 1000.0),
        ("So the answer is 1 000", False, 1000.0),
        ("1'234.5", True, 1234.5),
        ("\\boxed{\\frac{3}{4}}", False, 0.75),
        ("The ratio is 1/2.", True, 0.5),
        ("It is 50%.", True, 50.0),
        ("The answer is \u22123", False, -3.0),
        ("Answer: 12", False, 12.0),
        ("**Answer:** 7", False, 7.0),
        ("#### 18", False, 18.0),
        ("The answer is $1,234.50.", False, 1234.5),
        ("42 apples", True, 42.0),
        ("3.5 km/h", True, 3.5),
        ("The total is 40 + 2 = 42.", True, 42.0),
    ],
)
def test_final_number_shapes(text, short, value):
    found = extract(text)
    assert found.kind == "number" and found.value.value == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("The answer is 3x + 2.", False),
        ("3x + 2", True),
        ("x - 3", True),  # terms of an expression
        ("First we add 9 * 2 = 18 eggs.\nThen she sells them at the market for a profit.", False),
        # a long answer that states no number has none, however its last sentence ends
        ("The loop runs until the number is 0. " * 8, False),
    ],
)
def test_no_final_number(text, short):
    assert extract(text).kind != "number"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("**B**", "B"),
        ("B) Paris", "The answer is B."),
        ("(B) Paris", "Answer: b"),
        ("A:", "A"),
        ("The correct answer is: **C**", "c)"),
        ("\\boxed{D}", "The answer is (D)."),
        ("\\boxed{42}", "42"),
        ("The answer is \\boxed{1,000}.", "1000"),
        ("So the answer is 1 000", "1,000"),
        ("0.5", "1/2"),
        ("\\frac{3}{4}", "0.75"),
        ("The answer is \u22123.", "-3"),
        ("It is 50%.", "50"),
        ("Yes", "yes."),
        ("Yes, it is.", "Yes"),
        ("The answer is yes.", "YES"),
        ("**True**", "true"),
        ("False.", "false"),
        ("No, because the set is empty.", "no"),
        ("The answer is Paris.", "Paris"),
        ("Answer: Paris", "Paris"),
        # worked answers that state a final answer that is not a number or an option
        ("First, ... so the capital is Paris.\n\nThe answer is Paris.", "Reasoning ...\nFinal answer: **Paris**"),
        ("We simplify ... and get $\\boxed{\\dfrac{\\sqrt{3}}{2}}$.", "The final answer is $\\frac{\\sqrt{3}}{2}$."),
        ("Expanding gives \\boxed{x^2 + 2x + 1}", "$x^2+2x+1$"),
        ("#### y = 2x", "The answer is $y=2x$."),
        ("Final Answer: The final answer is $x^2$. I hope it is correct.", "so \\boxed{x^2}"),
        ("42 apples", "The answer is 42."),
        ("The answer is $\\boxed{42}$.", "42"),
        ("The answer is 3.5 hours.", "3.5 hours"),
        ("\\boxed{\\left(1,2\\right)}", "The answer is $(1,2)$."),
        ("The answer is 42, because of X and Y.", "The answer is 42, since Z."),
        # an answer given as one JSON object is its answer field
        ('{"answer": "B", "reasoning": "the others ignore friction"}', "The answer is (B)."),
        ('```json\n{"final_answer": 42}\n```', "#### 42"),
        ('{"answer": "Paris"}', "Paris"),
        # issue 20: a percentage equals its value and its fraction; equal math written differently is recognised
        ("50%", "0.5"),
        ("\\boxed{\\sqrt{3}}", "\\boxed{\\sqrt3}"),
    ],
)
def test_same_answer_in_different_shapes(a, b):
    assert same(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("B) Paris", "C) Paris"),
        ("**B**", "C"),
        ("The answer is (A).", "The answer is (B)."),
        ("Yes", "No"),
        ("Yes, it is.", "No, it is not."),
        ("True", "False"),
        ("Yes", "True"),
        ("-3", "3"),
        ("The answer is -3.", "The answer is 3."),
        ("1/2", "2"),
        # issue 20: case is part of a text answer
        ("Answer: Paris", "paris"),
        ("The answer is a bit more subtle than that.", "The answer is a matter of taste."),
        ("Yes and no.", "Yes"),  # hedged: not a yes
        ("B", "Paris"),
        ("\\boxed{\\frac{1}{23}}", "\\boxed{\\frac{12}{3}}"),
        ("\\boxed{x^2+1}", "\\boxed{x^2-1}"),
        ("The answer is 3x + 2.", "The answer is 5x + 2."),
        ("x + 2", "y + 2"),
        ('{"answer": "B"}', '{"answer": "C"}'),
        ('{"answer": "B"}', "The answer is (C)."),
        # the same number with different units, or as one item of a list
        ("3 hours", "3 minutes"),
        ("3 cm\u00b2", "3 cm\u00b3"),
        ("The answer is 2 and 3.", "The answer is 2 and 5."),
        ("The answer is 5 (mod 7)", "The answer is 5 (mod 11)"),
        ("Answer: 3 or 4 apples", "Answer: 3 apples"),
        # found by review: a decimal cut before its variable, glued or spelled-out units, abbreviations ending a
        # statement, a letter in prose, a JSON status field, \\leftarrow read as \\left, case inside math
        ("The answer is 1.5x.", "The answer is 1.25x."),
        ("\\boxed{0.5\\pi}", "\\boxed{0.7\\sqrt{2}}"),
        ("The answer is 1,000x", "The answer is 1,500y"),
        ("3 million", "3 billion"),
        ("2x", "2"),
        ("2x", "2y"),
        ("10 or more", "10 or fewer"),
        ("The answer is Dr. Smith.", "The answer is Dr. Jones."),
        ("The answer is St. Louis.", "The answer is St. Paul."),
        (
            "Triangle ABC has legs 3 and 4. C is the right angle, so AB = 5.",
            "Triangle ABC has legs 5 and 12. C is the right angle, so AB = 13.",
        ),
        ('{"result": "success", "value": 42}', '{"result": "success", "value": 17}'),
        ("\\boxed{A \\leftarrow B}", "\\boxed{A \\rightarrow B}"),
        ("\\boxed{\\Delta}", "\\boxed{\\delta}"),
        ("\\boxed{3 \\times 10^8}", "\\boxed{3 \\times 10^5}"),
        ("\\boxed{2 \\sqrt{3}}", "\\boxed{2 \\pi}"),
        ("The loop runs until the number is 0. " * 8, "The sum of the digits of 100 is 1, since the digit is 0. " * 8),
        # near-identical worked answers whose stated answers differ
        (
            "The steps are the same for both. " * 12 + "\nThe answer is Paris.",
            "The steps are the same for both. " * 12 + "\nThe answer is Lyon.",
        ),
    ],
)
def test_different_answers_do_not_agree(a, b):
    assert not same(a, b)


@pytest.mark.parametrize(
    ("text", "stated"),
    [
        ("So the answer is Paris.", "Paris"),
        ("Final answer: New York", "New York"),
        ("#### x = 4", "x = 4"),
        ("$\\boxed{\\left(1, \\tfrac{1}{2}\\right)}$", "(1, \\tfrac{1}{2})"),
        ("\\boxed{a} first, then \\boxed{\\{1, 2\\}}", "\\{1, 2\\}"),  # the last box, braces balanced
    ],
)
def test_stated_answer_shapes(text, stated):
    assert extract(text).text == stated


@pytest.mark.parametrize(
    "text",
    [
        "The answer is that it depends on " + "far too many things " * 12 + "to be a short final answer here.",
        "No statement at all, and a long one: " + "words " * 60,
    ],
)
def test_no_stated_answer(text):
    assert extract(text).kind == "long"


def test_reasons_show_answers_on_one_short_line():
    """Reasons go into response headers: an answer with newlines (code) is shown flattened and clipped (a multi-line
    reason was an illegal header value: the replay through the proxy lost 31 requests to it)."""
    code = "list1 = [1, 4, 7]\nlist2 = [2, 5, 8]\nprint(merge(list1, list2))  # Output: [1, 2, 4, 5, 7, 8]"
    got = asyncio.run(compare_replies(Candidate(0, "a", "[1, 2, 3]"), Candidate(1, "b", f"Answer: '{code}'")))
    assert "\n" not in got.reason and len(got.reason) < 120, got.reason


def test_a_math_worker_that_does_not_answer_is_killed_and_replaced(monkeypatch):
    """sympy runs in a worker process; one that does not answer within KILL_AFTER_S is killed (undecided), and the
    next comparison starts a new worker that answers."""
    monkeypatch.setattr(math_equivalence, "_cache", OrderedDict())  # answered by earlier tests: not asked again
    assert asyncio.run(math_equivalence.equivalent("\\sqrt{2}\\cdot\\sqrt{2}", "2")) is True
    first = math_equivalence._worker
    monkeypatch.setattr(math_equivalence, "KILL_AFTER_S", 0.0)
    assert asyncio.run(math_equivalence.equivalent("\\sqrt{8}", "2\\sqrt{2}")) is None
    assert first.poll() is not None  # killed
    monkeypatch.setattr(math_equivalence, "KILL_AFTER_S", 2.0)
    assert asyncio.run(math_equivalence.equivalent("\\sqrt{18}", "3\\sqrt{2}")) is True
    assert math_equivalence._worker is not first


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1.76 \u00d7 10^-11 sec", "3.5 \u00d7 10^-13 sec"),  # tiny numbers compare relatively (found by the benchmark)
        ("B) (a) 1800 rpm (b) 30 poles", "C) (a) 1800 rpm (b) 30 poles"),
    ],
)
def test_more_look_alikes_do_not_agree(a, b):
    assert not same(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("45^\\circ", "45 degrees"), ("\\frac{-3}{4}", "-0.75"), ("B) (a) 1800 rpm (b) 30 poles", "The answer is (B).")],
)
def test_more_forms_of_one_answer_agree(a, b):
    assert same(a, b)
