"""The replay upstream's book (tests/support/replay_upstream.py) and the billing rule of replayed RouterBench
deployments (tests/support/replay_data.py): lookups by model and prompt, and costs that come out as recorded."""

from __future__ import annotations

import pytest

from tests.support.replay_data import RB_UNIT, mmlu_pro_is_test, mmlu_pro_prompt, rb_deployment_prices
from tests.support.replay_upstream import ReplayBook, last_user_text


def body(text: str, system: str | None = None) -> dict:
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": text}]
    return {"model": "m", "messages": messages}


def test_answers_by_model_and_prompt_with_the_recorded_usage(tmp_path):
    book = ReplayBook()
    book.record("cheap", "Which option?", "B", prompt_tokens=12, completion_tokens=3)
    book.record("strong", "Which option?", "The answer is (C).", prompt_tokens=12, completion_tokens=40)
    reply = book.reply("strong", body("Which option?"))
    assert reply is not None and reply.content == "The answer is (C)."
    assert (reply.prompt_tokens, reply.completion_tokens) == (12, 40)
    assert book.reply("cheap", body("Which option?", system="Be brief.")).content == "B"  # system text is not the key
    assert book.reply("cheap", body("Another question?")) is None
    assert book.reply("unknown", body("Which option?")) is None
    loaded = ReplayBook.load(book.save(tmp_path / "book.jsonl"))
    assert len(loaded) == 2 and loaded.models == ["cheap", "strong"]
    assert loaded.reply("cheap", body("Which option?")).content == "B"


def test_last_user_text_reads_string_and_part_lists():
    parts = {
        "messages": [
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "x"},
            {
                "role": "user",
                "content": [{"type": "text", "text": "a"}, {"type": "image_url"}, {"type": "text", "text": "b"}],
            },
        ]
    }
    assert last_user_text(parts) == "ab"
    assert last_user_text({"messages": []}) == ""


@pytest.mark.parametrize(
    "recorded",
    ["0.0041519999999999994", "9.839999999999999e-05", "0.000401968", "0.010910000000000001", "3.2999999999999996e-05"],
)
def test_recorded_routerbench_costs_are_whole_billing_units(recorded):
    """Deployment price x tokens = the recorded cost, to float rounding (a few 1e-19 USD)."""
    cost = float(recorded)
    price_in, price_out = rb_deployment_prices()
    units = round(cost / RB_UNIT)
    billed = 1000 * price_in + units * price_out  # any prompt size: input is free
    assert billed == pytest.approx(cost, rel=1e-12, abs=1e-18)


def test_mmlu_pro_split_rule_and_prompt():
    test = [q for q in range(1, 2001) if mmlu_pro_is_test(q)]
    assert 0.17 < len(test) / 2000 < 0.23  # about one in five
    assert mmlu_pro_is_test(test[0]) and not mmlu_pro_is_test(next(q for q in range(1, 100) if q not in test))
    prompt = mmlu_pro_prompt("physics", "How fast?", ["1 m/s", "2 m/s"])
    assert "Options:\nA. 1 m/s\nB. 2 m/s\nAnswer: Let's think step by step." in prompt
    assert prompt.startswith("The following are multiple choice questions (with answers) about physics.")


def test_the_replay_judge_prefers_the_recorded_better_answer_of_the_plugins_own_judge_prompt(tmp_path):
    """The benchmark's judge reads the plugin's real pairwise prompt (fenced, A/B in either order) and prefers the
    answer with the higher recorded score; equal scores are a tie; a pair it has no record of is a tie too. A judge
    right 70% of the time gives a wrong verdict on about 30% of prompts."""
    import json
    import random

    from litellm_fusion.engine.audit.pair_judge import pairwise_prompt
    from litellm_fusion.engine.records import Candidate

    book = ReplayBook()
    for i in range(200):
        book.record("weak", f"Question {i}?", f"wrong {i}", 10, 2, score=0.0)
        book.record("strong", f"Question {i}?", f"right {i}", 10, 2, score=1.0)
        book.record("other", f"Question {i}?", f"also wrong {i}", 10, 2, score=0.0)
    book = ReplayBook.load(book.save(tmp_path / "book.jsonl"))  # scores survive the file

    def verdict(i: int, first: str, second: str, accuracy: float = 1.0) -> str:
        messages = [{"role": "user", "content": f"Question {i}?"}]
        a, b = (Candidate(0, "m", text) for text in (first, second))
        prompt = pairwise_prompt(messages, a, b)
        return json.loads(book.judge_verdict({"messages": prompt}, accuracy))["preference"]

    assert verdict(3, "right 3", "wrong 3") == "A" and verdict(3, "wrong 3", "right 3") == "B"
    assert verdict(3, "wrong 3", "also wrong 3") == "tie"
    assert verdict(3, "right 3", "something unrecorded") == "tie"
    rng = random.Random(1)
    wrong = 0
    for i in range(200):
        right_first = rng.random() < 0.5
        pair = (f"right {i}", f"wrong {i}") if right_first else (f"wrong {i}", f"right {i}")
        wrong += verdict(i, *pair, accuracy=0.7) != ("A" if right_first else "B")
    assert 40 <= wrong <= 80, wrong
