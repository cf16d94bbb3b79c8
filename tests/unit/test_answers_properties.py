"""Properties of reading answers on arbitrary and adversarial text (issue 20): `extract_reply` and
`compare_replies` never raise (any text, lone surrogates, deep nesting, huge inputs, any contract), and a
10,000-character adversarial reply is read in under 50 ms (and compared with a short reply in under 100 ms: both
reads, and a comparison whose math equivalence is bounded at 50 ms).

The time bound is a property of the reading (no quadratic regex, no unbounded parse), checked in-process with
perf_counter: each reply is read three times and the fastest read counts, so a scheduler pause on a shared
machine does not fail it. Hypothesis runs derandomized: the same examples every run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from litellm_fusion.engine.answers import AnswerContract, FinalAnswer, compare_replies, extract_reply
from litellm_fusion.engine.records import Candidate

READ_BOUND_S = 0.050
COMPARE_BOUND_S = 0.100  # reading both replies, and a comparison (math equivalence is bounded at 50 ms)
ADVERSARIAL_CHARS = 10_000

# Pieces of the structures extraction looks for, to be assembled into broken and nested replies.
FRAGMENTS = (
    '{"answer":',
    '{"reasoning": "',
    '"answer": "',
    "{'answer': '",
    '"',
    "'",
    "\\",
    "\\\\",
    "\\frac{",
    "\\sqrt{",
    "\\boxed{",
    "\\text{",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "```",
    "```json\n",
    "\n",
    "<answer>",
    "</answer>",
    "**Final Answer:**",
    "### Answer\n",
    "ANSWER: ",
    "Answer:",
    "the answer is ",
    "(B)",
    "B)",
    "**",
    "$",
    "$$",
    "1,000",
    "3/4",
    "1e308",
    "1e-400",
    "10^{999999}",
    "-",
    "%",
    "0." + "9" * 40,
    "x^2",
    "yes",
    "No",
    "True",
    "null",
    "\ud800",
    "\udfff",
    "\x00",
    "\u200b",
    "\u2212",
    " " * 50,
)
ANY_CHAR = st.characters(categories=["L", "M", "N", "P", "S", "Z", "Cc", "Cs"])
ARBITRARY = st.text(ANY_CHAR, max_size=2_000)
STRUCTURED = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(ANY_CHAR, max_size=12)), max_size=200).map("".join)
CONTRACTS = st.sampled_from(
    (
        None,
        AnswerContract(),
        AnswerContract(source="json_field", field="answer"),
        AnswerContract(source="json_field", field="final_answer", kind="number"),
        AnswerContract(source="regex", pattern=r"ANSWER:\s*(.+)", kind="text"),
        AnswerContract(source="regex", pattern=r"(\d+)"),
        AnswerContract(kind="math"),
        AnswerContract(kind="literal"),
        AnswerContract(kind="letter"),
    )
)
HUGE = (
    '{"answer":' * 100_000,
    "[" * 100_000,
    "{" * 100_000 + "}" * 100_000,
    "\\boxed{" * 50_000,
    "\\frac{" * 50_000,
    "<answer>" * 20_000,
    "```json\n" * 20_000,
    "(" * 100_000,
    '"\\' * 100_000,
    "\ud800" * 10_000,
    "9" * 200_000,
    "1,000 " * 50_000,
    "the answer is " * 20_000,
    "a" * 1_000_000,
)


def reply(text: str, member: int = 0) -> Candidate:
    return Candidate(member, f"m{member}", text)


def compare(a: str, b: str, contract: AnswerContract | None = None):
    return asyncio.run(compare_replies(reply(a, 0), reply(b, 1), contract))


@settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(ARBITRARY, STRUCTURED), contract=CONTRACTS)
@example(text="", contract=None)
@example(text='{"answer": "\\frac{1}{2}"}', contract=AnswerContract(source="json_field", field="answer"))
def test_extraction_never_raises(text: str, contract: AnswerContract | None) -> None:
    assert isinstance(extract_reply(reply(text), contract), FinalAnswer)


@settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=st.one_of(ARBITRARY, STRUCTURED), b=st.one_of(ARBITRARY, STRUCTURED), contract=CONTRACTS)
def test_comparison_never_raises(a: str, b: str, contract: AnswerContract | None) -> None:
    got = compare(a, b, contract)
    assert got.outcome in ("agree", "disagree", "undecided")
    assert compare(a, a, contract).outcome in ("agree", "disagree", "undecided")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("text", HUGE, ids=lambda t: f"{t[:10]!r}x{len(t)}")
def test_huge_and_deeply_nested_replies(text: str) -> None:
    assert isinstance(extract_reply(reply(text)), FinalAnswer)
    assert compare(text, text[: len(text) // 2]).outcome in ("agree", "disagree", "undecided")


def _fastest(run: Callable[[], object], bound: float) -> float:
    """The fastest of up to three runs (stops at the first under `bound`)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
        if best < bound:
            break
    return best


ADVERSARIAL = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=400).map(
    lambda parts: ("".join(parts) * (ADVERSARIAL_CHARS // max(1, len("".join(parts))) + 1))[:ADVERSARIAL_CHARS]
)


@settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=ADVERSARIAL)
@example(text=('{"answer":' * 1_000)[:ADVERSARIAL_CHARS])
@example(text=("\\boxed{" * 2_000)[:ADVERSARIAL_CHARS])
@example(text=("1,0" * 4_000)[:ADVERSARIAL_CHARS])
@example(text=("**Final Answer:** (" * 1_000)[:ADVERSARIAL_CHARS])
@example(text=("```json\n{'a': [" * 1_000)[:ADVERSARIAL_CHARS])
@example(text=" " * 9_991 + "answer: B")
@example(text=(('{"answer":**Final Answer:**' + " " * 100) * 80)[:ADVERSARIAL_CHARS])
def test_adversarial_reply_is_read_in_under_50_ms(text: str) -> None:
    assert len(text) == ADVERSARIAL_CHARS
    took = _fastest(lambda: extract_reply(reply(text)), READ_BOUND_S)
    assert took < READ_BOUND_S, f"read in {took * 1000:.1f} ms"
    took = _fastest(lambda: compare(text, "The answer is (B)."), COMPARE_BOUND_S)
    assert took < COMPARE_BOUND_S, f"compared with a short reply in {took * 1000:.1f} ms"
