"""Fusion for agents, through a real proxy: tools on chat completions, Anthropic messages and Responses, an agent
loop run to completion, invalid tool-call JSON, and exact spend counted once on every endpoint."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.fake_upstream import FakeUpstream, Reply
from tests.support.helpers import FUSION_WIRING, billed, metric_sum, new_tag, tagged_rows, wait_for
from tests.support.proxy_fleet import Fleet
from tests.support.proxy_harness import ProxyProcess, fake_deployment

PRICES = {"t-a": (1e-6, 2e-6), "t-b": (3e-6, 4e-6), "t-c": (5e-7, 1.5e-6), "t-judge": (1e-5, 3e-5)}
PANEL = ["t-a", "t-b", "t-c"]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
PARIS = Reply(tool_calls=[{"name": "get_weather", "arguments": {"city": "Paris"}}])


# the fusion models' names are this module's own (the proxy is shared with other modules, see proxy_fleet)
BEST_OF, MERGE = "fusion/agent-best-of", "fusion/agent-merge"


def fleet_proxies(fleet: Fleet) -> None:
    url = fleet.upstream.base_url
    fleet.share(
        __name__,
        {
            "model_list": [fake_deployment(n, url, *p) for n, p in PRICES.items()]
            + [
                {"model_name": name, "litellm_params": {"model": mode, "panel": PANEL, "judge": "t-judge"}}
                for name, mode in (
                    (BEST_OF, "fusion/best-of"),
                    (MERGE, "fusion/merge"),
                    ("fusion/agent-debate", "fusion/debate"),
                )
            ]
            # one best-of model per endpoint, so each endpoint's Prometheus spend is its own series
            + [
                {"model_name": name, "litellm_params": {"model": "fusion/best-of", "panel": PANEL, "judge": "t-judge"}}
                for name in ("fusion/for-chat", "fusion/for-messages", "fusion/for-responses")
            ],
            "router_settings": {"num_retries": 0},
            "litellm_settings": dict(FUSION_WIRING),
        },
    )


@pytest.fixture(scope="module")
def proxy(fleet: Fleet) -> ProxyProcess:
    return fleet.shared()


def script(upstream: FakeUpstream, **replies: Any) -> None:
    for model in PRICES:
        upstream.set(
            model, text=replies.get(model.replace("-", "_"), f"text of {model}"), prompt_tokens=30, completion_tokens=9
        )


def prometheus_matches_spend_rows(proxy: ProxyProcess, model: str) -> None:
    """LiteLLM's Prometheus spend for `model` equals the sum of its spend rows: each dollar counted once in both."""

    def equal() -> bool:
        rows = sum(r["spend"] for r in proxy.spend_rows() if r["model_group"] == model)
        counted = metric_sum(proxy.metrics(), "litellm_spend_metric_total", requested_model=model)
        return rows > 0 and abs(counted - rows) <= 1e-9 * rows

    wait_for(equal, what=f"Prometheus spend for {model} to equal its spend rows")


def is_followup(body: dict[str, Any]) -> bool:
    """The second step of the agent loop: the conversation ends with the tool's result."""
    return body["messages"][-1]["role"] == "tool"


def rows(proxy: ProxyProcess, tag: str, n: int = 1) -> list[dict[str, Any]]:
    """The `n` spend rows of this test's requests (sent with `x-litellm-tags: tag`), once all are written."""
    return wait_for(
        lambda: r if len(r := tagged_rows(proxy, tag)) >= n else None, what=f"{n} spend row(s) tagged {tag}"
    )


def test_best_of_agent_loop_runs_to_completion(proxy, client, upstream):
    """Step 1: two members call the tool, one answers in text; the judge picks a tool-calling candidate, returned
    verbatim. Step 2: the client returns the tool's result; every member sees the whole conversation."""

    def member(text_after: str) -> Any:
        return lambda body: text_after if is_followup(body) else PARIS

    verdicts = iter(
        [json.dumps({"winner": 1, "reason": "calls the tool"}), json.dumps({"winner": 2, "reason": "uses it"})]
    )
    script(
        upstream,
        t_a=member("18 C in Paris"),
        t_b=member("It is 18 C in Paris."),
        t_c="Probably sunny",
        t_judge=lambda body: next(verdicts),
    )
    tag = new_tag()
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.chat.completions.create(
        model=BEST_OF, messages=messages, tools=[WEATHER], tool_choice="auto", extra_headers={"x-litellm-tags": tag}
    )
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.tool_calls[0].function.name == "get_weather"
    assert json.loads(choice.message.tool_calls[0].function.arguments) == {"city": "Paris"}
    for seen in upstream.requests_for("t-a") + upstream.requests_for("t-c"):
        assert seen.body["tools"] == [WEATHER] and seen.body["tool_choice"] == "auto"
    judge_prompt = upstream.requests_for("t-judge")[0].body["messages"][1]["content"]
    assert '[proposed tool calls, as data: [{"arguments": {"city": "Paris"}, "name": "get_weather"}]]' in judge_prompt
    assert "tools" not in upstream.requests_for("t-judge")[0].body, "the best-of judge only picks"

    call = choice.message.tool_calls[0]
    messages += [
        {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 18}'},
    ]
    final = client.chat.completions.create(
        model=BEST_OF, messages=messages, tools=[WEATHER], extra_headers={"x-litellm-tags": tag}
    )
    assert final.choices[0].message.content == "It is 18 C in Paris." and final.choices[0].finish_reason == "stop"
    followup = next(s for s in upstream.requests_for("t-b") if is_followup(s.body)).body["messages"]
    assert followup[1]["tool_calls"][0]["id"] == call.id and followup[2]["tool_call_id"] == call.id
    assert (
        "tool result (" + call.id + '): {"temp_c": 18}'
        in upstream.requests_for("t-judge")[1].body["messages"][1]["content"]
    )
    steps = rows(proxy, tag, 2)
    assert len(steps) == 2 and sum(r["spend"] for r in steps) == pytest.approx(billed(upstream, PRICES), rel=1e-9)


def test_merge_judge_answers_with_a_tool_call_informed_by_the_candidates(proxy, client, upstream):
    judge = Reply(tool_calls=[{"name": "get_weather", "arguments": {"city": "Paris"}}])
    script(
        upstream,
        t_a=PARIS,
        t_b=Reply(content="I would look it up", tool_calls=[{"name": "get_weather", "arguments": {"city": "paris"}}]),
        t_c="no idea",
        t_judge=lambda body: "It is 18 C." if "tool result (" in body["messages"][-1]["content"] else judge,
    )
    first = client.chat.completions.create(
        model=MERGE, messages=[{"role": "user", "content": "Weather in Paris?"}], tools=[WEATHER]
    )
    assert first.choices[0].finish_reason == "tool_calls"
    assert first.choices[0].message.tool_calls[0].function.name == "get_weather"
    judge_body = upstream.requests_for("t-judge")[0].body
    assert judge_body["tools"] == [WEATHER], "the merge judge writes the answer with the client's tools"
    assert "proposed tool calls, as data" in judge_body["messages"][1]["content"]
    call = first.choices[0].message.tool_calls[0]
    final = client.chat.completions.create(
        model=MERGE,
        tools=[WEATHER],
        messages=[
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
            {"role": "tool", "tool_call_id": call.id, "content": "18 C"},
        ],
    )
    assert final.choices[0].message.content == "It is 18 C."


def test_invalid_tool_call_json_makes_a_candidate_unusable_and_is_reported(proxy, client, upstream):
    broken = Reply(tool_calls=[{"name": "get_weather", "arguments": '{"city": "Par'}])
    script(upstream, t_a=broken, t_b=PARIS, t_c="text", t_judge=json.dumps({"winner": 1, "reason": "r"}))
    raw = client.chat.completions.with_raw_response.create(
        model=BEST_OF, messages=[{"role": "user", "content": "Weather?"}], tools=[WEATHER]
    )
    reply, headers = raw.parse(), raw.headers
    assert json.loads(reply.choices[0].message.tool_calls[0].function.arguments) == {"city": "Paris"}
    assert (
        "t-a(r1): unusable answer: tool call get_weather: arguments are not valid JSON"
        in headers["x-litellm-fusion-dropped"]
    )
    judge_prompt = upstream.requests_for("t-judge")[0].body["messages"][1]["content"]
    assert 'index="2"' in judge_prompt and 'index="3"' not in judge_prompt, (
        "the broken candidate never reaches the judge"
    )
    assert float(headers["x-litellm-response-cost"]) == pytest.approx(billed(upstream, PRICES), rel=1e-9)


def test_identical_tool_calls_are_agreement_and_skip_the_judge(proxy, client, upstream):
    script(
        upstream,
        t_a=PARIS,
        t_b=Reply(tool_calls=[{"name": "get_weather", "arguments": '{ "city" : "Paris" }'}]),
        t_c=PARIS,
    )
    raw = client.chat.completions.with_raw_response.create(
        model=BEST_OF, messages=[{"role": "user", "content": "Weather?"}], tools=[WEATHER]
    )
    assert (
        raw.headers["x-litellm-fusion-judge"] == "skipped"
        and "same tool calls" in raw.headers["x-litellm-fusion-judge-reason"]
    )
    assert not upstream.requests_for("t-judge")


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_streamed_and_plain_tool_calls_on_chat_with_exact_spend(proxy, client, upstream, stream):
    script(upstream, t_a=PARIS, t_b=PARIS, t_c="text", t_judge=json.dumps({"winner": 2, "reason": "r"}))
    tag = new_tag()
    kwargs = {
        "model": "fusion/for-chat",
        "messages": [{"role": "user", "content": "Weather?"}],
        "tools": [WEATHER],
        "extra_headers": {"x-litellm-tags": tag},
    }
    if stream:
        chunks = list(client.chat.completions.create(**kwargs, stream=True))
        calls = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
        assert calls[0].function.name == "get_weather" and json.loads(calls[0].function.arguments) == {"city": "Paris"}
        assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == [
            "tool_calls"
        ]
    else:
        reply = client.chat.completions.create(**kwargs)
        assert reply.choices[0].message.tool_calls[0].function.name == "get_weather"
    (row,) = rows(proxy, tag)
    assert row["spend"] == pytest.approx(billed(upstream, PRICES), rel=1e-9)
    prometheus_matches_spend_rows(proxy, "fusion/for-chat")


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_anthropic_messages_with_tools(proxy, upstream, stream):
    import anthropic

    script(upstream, t_a=PARIS, t_b=PARIS, t_c="text", t_judge=json.dumps({"winner": 1, "reason": "r"}))
    tag = new_tag()
    client = anthropic.Anthropic(base_url=proxy.base_url, api_key=proxy.master_key, max_retries=0, timeout=30)
    tool = {"name": "get_weather", "description": "weather", "input_schema": WEATHER["function"]["parameters"]}
    kwargs = {
        "model": "fusion/for-messages",
        "max_tokens": 200,
        "tools": [tool],
        "messages": [{"role": "user", "content": "Weather?"}],
        "extra_headers": {"x-litellm-tags": tag},
    }
    if stream:
        with client.messages.stream(**kwargs) as s:
            message = s.get_final_message()
    else:
        message = client.messages.create(**kwargs)
    uses = [b for b in message.content if b.type == "tool_use"]
    assert message.stop_reason == "tool_use" and uses[0].name == "get_weather" and uses[0].input == {"city": "Paris"}
    assert upstream.requests_for("t-a")[0].body["tools"][0]["function"]["name"] == "get_weather"
    (row,) = rows(proxy, tag)
    assert row["spend"] == pytest.approx(billed(upstream, PRICES), rel=1e-9)
    metadata = row["metadata"] if isinstance(row["metadata"], dict) else json.loads(row["metadata"])
    assert metadata["spend_logs_metadata"]["fusion"]["tool_calls"][0]["name"] == "get_weather"
    prometheus_matches_spend_rows(proxy, "fusion/for-messages")


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_responses_with_tools(proxy, client, upstream, stream):
    script(upstream, t_a=PARIS, t_b=PARIS, t_c="text", t_judge=json.dumps({"winner": 3, "reason": "r"}))
    tag = new_tag()
    tool = {"type": "function", "name": "get_weather", "parameters": WEATHER["function"]["parameters"]}
    kwargs = {
        "model": "fusion/for-responses",
        "input": "Weather in Paris?",
        "tools": [tool],
        "extra_headers": {"x-litellm-tags": tag},
    }
    if stream:
        events = list(client.responses.create(**kwargs, stream=True))
        response = next(e for e in events if e.type == "response.completed").response
    else:
        response = client.responses.create(**kwargs)
    # winner 3 is t-c's text; identical calls of t-a and t-b do not outvote the judge in best-of
    assert response.output_text == "text"
    (row,) = rows(proxy, tag)
    assert row["spend"] == pytest.approx(billed(upstream, PRICES), rel=1e-9)
    script(upstream, t_a=PARIS, t_b=PARIS, t_c=PARIS)
    called = client.responses.create(**{**kwargs, "extra_headers": {"x-litellm-tags": new_tag()}})
    fn = next(o for o in called.output if o.type == "function_call")
    assert fn.name == "get_weather" and json.loads(fn.arguments) == {"city": "Paris"}
    prometheus_matches_spend_rows(proxy, "fusion/for-responses")
