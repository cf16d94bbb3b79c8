"""Real token streaming through a real proxy: a writing judge's tokens reach the client while it is still writing,
best-of sends the chosen answer at once, a judge that dies mid-answer still ends in a complete reply, usage and
cost come in the final chunk, and the spend row is exact."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.fake_upstream import FakeUpstream
from tests.support.helpers import FUSION_WIRING, billed, new_tag, tagged_rows, wait_for
from tests.support.proxy_fleet import Fleet
from tests.support.proxy_harness import ProxyProcess, fake_deployment

PRICES = {"s-a": (1e-6, 2e-6), "s-b": (3e-6, 4e-6), "s-judge": (1e-5, 3e-5)}
JUDGE_TEXT = "The merged answer, written token by token by the judge."


# the fusion models' names are this module's own (the proxy is shared with other modules, see proxy_fleet)
MODEL = {mode: f"fusion/stream-{mode}" for mode in ("best-of", "merge", "debate")}


def fleet_proxies(fleet: Fleet) -> None:
    url = fleet.upstream.base_url
    fleet.share(
        __name__,
        {
            "model_list": [fake_deployment(n, url, *p) for n, p in PRICES.items()]
            + [
                {
                    "model_name": name,
                    "litellm_params": {"model": f"fusion/{mode}", "panel": ["s-a", "s-b"], "judge": "s-judge"},
                }
                for mode, name in MODEL.items()
            ],
            "router_settings": {"num_retries": 0},
            "litellm_settings": dict(FUSION_WIRING),
        },
    )


@pytest.fixture(scope="module")
def proxy(fleet: Fleet) -> ProxyProcess:
    return fleet.shared()


def script(upstream: FakeUpstream, judge: dict[str, Any], a: str = "answer A", b: str = "answer B") -> None:
    upstream.set("s-a", text=a, prompt_tokens=12, completion_tokens=4)
    upstream.set("s-b", text=b, prompt_tokens=12, completion_tokens=6)
    upstream.set("s-judge", **{"prompt_tokens": 80, "completion_tokens": 14, **judge})


def stream(client: Any, model: str, tag: str) -> Iterator[Any]:
    return iter(
        client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": "Explain briefly."}],
            stream=True,
            stream_options={"include_usage": True},
            extra_headers={"x-litellm-tags": tag},
        )
    )


def text_of(chunks: list[Any]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


@pytest.mark.parametrize("mode", ["merge", "debate"])
def test_the_judge_tokens_reach_the_client_while_the_judge_is_still_writing(proxy, client, upstream, mode):
    hold = threading.Event()
    script(upstream, {"text": JUDGE_TEXT, "stream_chunk_chars": 5, "stream_hold": hold})
    tag = new_tag()
    chunks = stream(client, MODEL[mode], tag)
    try:
        first = next(c for c in chunks if c.choices and c.choices[0].delta.content)
        judge = upstream.requests_for("s-judge")
        assert first.choices[0].delta.content == JUDGE_TEXT[:5]
        assert len(judge) == 1 and judge[0].finished is None, "the judge is still writing (held by the test)"
    finally:
        hold.set()
    rest = list(chunks)
    assert JUDGE_TEXT[:5] + text_of(rest) == JUDGE_TEXT
    final = [c for c in rest if c.usage][-1]
    cost = billed(upstream, PRICES)
    assert final.usage.total_tokens == sum(
        s.usage["prompt_tokens"] + s.usage["completion_tokens"] for s in upstream.seen
    )
    assert getattr(final.usage, "cost", None) == pytest.approx(cost, rel=1e-9), "the summed cost in the final chunk"
    (row,) = wait_for(lambda: tagged_rows(proxy, tag), what="the stream's spend row")
    assert row["spend"] == pytest.approx(cost, rel=1e-9)


def test_best_of_sends_the_chosen_answer_at_once_after_the_verdict(proxy, client, upstream):
    script(upstream, {"text": json.dumps({"winner": 2, "reason": "fuller"})})
    tag = new_tag()
    chunks = list(stream(client, MODEL["best-of"], tag))
    assert [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content] == ["answer B"]
    (row,) = wait_for(lambda: tagged_rows(proxy, tag), what="spend row")
    assert row["spend"] == pytest.approx(billed(upstream, PRICES), rel=1e-9)


def test_best_of_agreement_streams_without_any_judge_call(proxy, client, upstream):
    script(upstream, {"text": "never"}, a="The answer is 12.", b="12")
    chunks = list(stream(client, MODEL["best-of"], new_tag()))
    assert text_of(chunks) == "The answer is 12." and not upstream.requests_for("s-judge")


def test_a_judge_dying_mid_answer_still_ends_in_a_complete_well_formed_reply(proxy, client, upstream):
    script(upstream, {"text": JUDGE_TEXT, "stream_chunk_chars": 5, "stream_fail_after": 3})
    tag = new_tag()
    chunks = list(stream(client, MODEL["merge"], tag))
    text = text_of(chunks)
    partial, rest = text.split("\n\n[fusion: the judge stopped mid-answer (judge failed: ", 1)
    assert partial == JUDGE_TEXT[:15]
    assert rest.endswith("the answer of s-a follows in full]\n\nanswer A")
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    (row,) = wait_for(lambda: tagged_rows(proxy, tag), what="spend row")
    metadata = row["metadata"] if isinstance(row["metadata"], dict) else json.loads(row["metadata"])
    fusion = metadata["spend_logs_metadata"]["fusion"]
    assert fusion["judge"]["outcome"] == "fallback" and "characters were streamed" in fusion["judge"]["reason"]
    assert row["spend"] == pytest.approx(billed(upstream, PRICES), rel=1e-9), "the cut-off judge call billed nothing"
