"""Unit tests of the complexity-routing difficulty classifier (no proxy, no timing assertions)."""

from __future__ import annotations

import math

import pytest

from litellm_fusion.routing.difficulty_model import ARTIFACT_PATH, DifficultyModel
from litellm_fusion.routing.features import focus
from litellm_fusion.routing.strengths import DEFAULT_STRENGTHS, default_strength
from litellm_fusion.routing.text import CONTEXT_MARK, NOW_MARK, content_text, prompt_text, request_text

HARD_MATH = (
    "Let $n \\ge 2$ be an integer and let $a_1, \\dots, a_n$ be positive reals with $\\sum_i a_i = 1$. "
    "Prove that $\\sum_{i=1}^n \\frac{a_i}{\\sqrt{1 - a_i}} \\ge \\sqrt{\\frac{n}{n-1}}$, and determine all "
    "cases of equality. Give a complete, rigorous proof; justify every inequality you use (Jensen, "
    "Cauchy-Schwarz or power means) and check the boundary cases."
)
HARD_CODE = (
    "Write a Python function that, given a list of intervals and a list of queries, returns for each query "
    "the size of the smallest interval containing it, in O((n + q) log n). Then write a JavaScript version "
    "using a min-heap, prove the complexity bound, and explain how to handle overlapping intervals with "
    "equal sizes.\n```python\ndef min_interval(intervals: list[list[int]], queries: list[int]) -> list[int]:\n"
    "    ...\n```"
)


@pytest.fixture(scope="module")
def model() -> DifficultyModel:
    return DifficultyModel.load()


def test_artifact_loads_once_and_is_small(model: DifficultyModel) -> None:
    assert DifficultyModel.load() is model
    assert ARTIFACT_PATH.stat().st_size < 5 * 1024 * 1024
    assert model.version.startswith("irt-ridge-")
    assert DifficultyModel.load(ARTIFACT_PATH).version == model.version


def test_difficulty_is_a_finite_float(model: DifficultyModel) -> None:
    for text in ("hi", "", "x" * 100_000, "数学题：求解方程 x^2 - 5x + 6 = 0", HARD_CODE):
        d = model.difficulty(text)
        assert isinstance(d, float) and math.isfinite(d)


@pytest.mark.parametrize("hard", [HARD_MATH, HARD_CODE])
@pytest.mark.parametrize("easy", ["hi", "what is 2+2", "Hello! How are you today?", "thanks"])
def test_hard_prompts_score_higher_than_trivial(model: DifficultyModel, hard: str, easy: str) -> None:
    assert model.difficulty(hard) > model.difficulty(easy) + 0.3


def test_multi_turn_yes_depends_on_context(model: DifficultyModel) -> None:
    hard = [
        {"role": "user", "content": HARD_MATH},
        {"role": "assistant", "content": "Should I use Jensen's inequality on f(x) = x / sqrt(1 - x)?"},
        {"role": "user", "content": "yes"},
    ]
    greeting = [
        {"role": "user", "content": "hi there"},
        {"role": "assistant", "content": "Hello! Would you like to chat?"},
        {"role": "user", "content": "yes"},
    ]
    t_hard, t_greet = request_text(hard), request_text(greeting)
    assert t_hard.endswith(NOW_MARK + "\nyes") and t_hard.startswith(CONTEXT_MARK)
    assert model.difficulty(t_hard) > model.difficulty(t_greet) + 0.2


FINAL_Q = (
    "Which property of a mineral can be determined just by looking at it?\nA) luster\nB) mass\nC) weight\n"
    "D) hardness\nAnswer:"
)


def _shots(words: list[str]) -> str:
    return "".join(f"Which of these is a {w}?\nA) {w}\nB) rock\nAnswer:\nA\n\n" for w in words)


def test_few_shot_prompts_are_classified_by_their_final_question(model: DifficultyModel) -> None:
    a = _shots(["planet", "mammal", "liquid"]) + FINAL_Q
    b = _shots(["comet", "insect", "metal"]) + FINAL_Q  # other examples, (almost) the same size
    q, shots = focus(a)
    assert q == FINAL_Q and shots == len(a) - len(FINAL_Q)
    # solved examples only enter through their size: same final question, same difficulty (up to size)
    assert model.difficulty(a) == pytest.approx(model.difficulty(b), abs=0.02)
    # prompts that are not few-shot are left whole
    one_shot = _shots(["planet"]) + FINAL_Q
    unanswered = "Question: why is the sky blue?\nAnswer:\n\nQuestion: why is grass green?\nAnswer:\n\n" + FINAL_Q
    for text in (
        HARD_MATH,
        HARD_CODE,
        "hi",
        "Answer: 42",
        FINAL_Q,
        "Question: why?\nAnswer: because\n\nok",
        one_shot,
        unanswered,
    ):
        assert focus(text) == (text, 0)


def test_p_success_is_monotone_and_centred(model: DifficultyModel) -> None:
    assert model.p_success(1.0, 1.0) == pytest.approx(0.5)
    assert model.p_success(0.0, 2.0) > model.p_success(0.0, 1.0) > model.p_success(1.0, 1.0)
    assert 0.0 <= model.p_success(1000.0, -1000.0) < 1e-6
    assert model.p_success(-1000.0, 1000.0) == pytest.approx(1.0)


def test_text_extraction_parts_images_none() -> None:
    msgs = [
        {"role": "system", "content": "You are a helpful assistant."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Describe this"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                {"type": "text", "text": "in one line."},
            ],
        },
    ]
    assert request_text(msgs) == "Describe this\nin one line."
    assert content_text(None) == ""
    assert content_text([{"type": "image_url", "image_url": {"url": "x"}}]) == ""
    assert request_text([{"role": "user", "content": None}]) == ""
    assert request_text([{"role": "assistant", "content": "hi"}]) == ""
    assert request_text([]) == ""
    assert request_text(None) == ""
    # the system prompt never enters; context is marked; the last user turn is whole
    t = request_text(
        [
            {"role": "system", "content": "SYSTEM"},
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": None},
            {"role": "user", "content": "b"},
        ]
    )
    assert "SYSTEM" not in t and t.endswith("b") and "user: a" in t


def test_text_is_bounded() -> None:
    long = "word " * 50_000
    assert len(request_text([{"role": "user", "content": long}], max_chars=6000)) <= 6010
    many = [{"role": "user" if i % 2 == 0 else "assistant", "content": long} for i in range(9)]
    assert len(request_text(many, max_chars=6000)) <= 6100
    assert prompt_text(" hi ") == "hi" and prompt_text(None) == ""


def test_default_strength_matching() -> None:
    assert default_strength("openai/gpt-4o-mini-2024-07-18") == DEFAULT_STRENGTHS["gpt-4o-mini"]
    assert default_strength("anthropic/claude-sonnet-4-5-20250929") == DEFAULT_STRENGTHS["claude-sonnet-4-5"]
    assert default_strength("gpt-4o") == DEFAULT_STRENGTHS["gpt-4o"]
    assert default_strength("azure/gpt-4.1-mini") == DEFAULT_STRENGTHS["gpt-4.1-mini"]
    assert default_strength("o3-mini-2025-01-31") == DEFAULT_STRENGTHS["o3-mini"]
    assert (
        default_strength("bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0")
        == DEFAULT_STRENGTHS["claude-3-5-sonnet"]
    )
    assert default_strength("meta-llama/Meta-Llama-3.1-8B-Instruct") == DEFAULT_STRENGTHS["llama-3.1-8b"]
    assert default_strength("mistralai/mixtral-8x7b-chat") == DEFAULT_STRENGTHS["mixtral-8x7b"]
    assert default_strength("gemini/gemini-2.5-pro") == DEFAULT_STRENGTHS["gemini-2.5-pro"]
    assert default_strength("gpt-4o1") is None
    assert default_strength("some-unknown-model") is None
    assert default_strength("") is None
    # ordering sanity on well-known pairs
    assert default_strength("gpt-4o-mini") < default_strength("gpt-4.1") < default_strength("o3")
    assert default_strength("claude-3-haiku") < default_strength("claude-sonnet-4-5")


def test_fitted_strengths_match_artifact(model: DifficultyModel) -> None:
    fitted = {
        "gpt-4-1106-preview": "gpt-4-1106-preview",
        "gpt-3.5-turbo": "gpt-3.5-turbo-1106",
        "mixtral-8x7b": "mistralai/mixtral-8x7b-chat",
        "mistral-7b": "mistralai/mistral-7b-chat",
        "yi-34b": "zero-one-ai/Yi-34B-Chat",
    }
    for key, art in fitted.items():
        assert DEFAULT_STRENGTHS[key] == pytest.approx(model.strengths[art], abs=0.02), key
