"""Complexity routing in a real proxy: easy vs hard prompts, cooldown, modes, unrouted groups, headers,
spend metadata, the classifier_plugin inside LiteLLM's complexity router, a routed group in a panel."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from tests.support.fake_upstream import FakeUpstream
from tests.support.helpers import EASY, FUSION_WIRING, HARD, metric_sum, wait_for
from tests.support.proxy_fleet import Fleet
from tests.support.proxy_harness import ProxyProcess, fake_deployment

# strength on the classifier's scale, and $/token
# (request costs: cheap 1%, mid 20% of strong)
TIERS = {"route-cheap": (1.0, 1e-7, 4e-7), "route-mid": (1.8, 2e-6, 8e-6), "route-strong": (3.2, 1e-5, 4e-5)}


def routed(group: str, name: str, url: str) -> dict[str, Any]:
    strength, price_in, price_out = TIERS[name]
    entry = fake_deployment(name, url, price_in, price_out)
    entry["model_name"] = group
    entry["model_info"]["strength"] = strength
    return entry


def proxy_config(url: str) -> dict[str, Any]:
    models = [routed(g, n, url) for g in ("auto", "auto-thrifty", "auto-open") for n in TIERS]
    pool = [fake_deployment("pool-a", url, 1e-6, 1e-6), fake_deployment("pool-b", url, 1e-6, 1e-6)]
    for entry in pool:
        entry["model_name"] = "pool"
    tiers = {t: f"tier-{t.lower()}" for t in ("SIMPLE", "MEDIUM", "COMPLEX", "REASONING")}
    models += pool + [fake_deployment(n, url, 1e-6, 1e-6) for n in tiers.values()]
    models += [fake_deployment("judge", url, 1e-6, 1e-6), fake_deployment("other", url, 1e-6, 1e-6)]
    models += [routed("g-cheap", "route-cheap", url), routed("g-strong", "route-strong", url)]
    gated = {"mode": "best-of", "panel": ["g-cheap", "g-strong", "other"], "judge": "judge"}
    models += [
        {
            "model_name": "fusion/routed",
            "litellm_params": {"model": "fusion/best-of", "panel": ["auto-thrifty", "other"], "judge": "judge"},
        },
        {
            "model_name": "fusion/auto",
            "litellm_params": {
                "model": "fusion/auto",
                **gated,
                "gate": {"cheap": "g-cheap", "strong": "g-strong", "target_p_success": 0.65},
            },
        },
        {
            "model_name": "fusion/auto-picky",
            "litellm_params": {
                "model": "fusion/auto-picky",
                **gated,
                "gate": {"cheap": "g-cheap", "strong": "g-strong", "target_p_success": 0.97},
            },
        },
        {
            "model_name": "smart",
            "litellm_params": {
                "model": "auto_router/complexity_router",
                "complexity_router_config": {
                    "tiers": tiers,
                    "classifier_type": "custom",
                    "classifier_plugin": "litellm_fusion.complexity_classifier",
                },
            },
        },
    ]
    return {
        "model_list": models,
        "router_settings": {"num_retries": 1, "allowed_fails": 0, "cooldown_time": 60},
        "litellm_settings": dict(FUSION_WIRING),
        "litellm_fusion": {
            "routing": {
                "auto": {"mode": "balanced"},
                "auto-thrifty": {"mode": 0.5},
                "auto-open": {"mode": "balanced", "caller_may_set": ["mode", "candidates", "max_cost"]},
            }
        },
    }


def fleet_proxies(fleet: Fleet) -> None:
    fleet.add("routing", proxy_config(fleet.upstream.base_url))  # its own: cooldowns and retries, a "judge" of its own


@pytest.fixture(scope="module")
def proxy(fleet: Fleet) -> Iterator[ProxyProcess]:
    with fleet.lease("routing") as p:
        yield p


def answered_by(upstream: FakeUpstream) -> list[str]:
    return [s.model for s in upstream.seen if s.status == 200]


def ask(client: openai.OpenAI, model: str, content: Any, metadata: dict | None = None, headers: dict | None = None):
    raw = client.chat.completions.with_raw_response.create(
        model=model,
        messages=[{"role": "user", "content": content}],
        extra_body={"metadata": metadata} if metadata else None,
        extra_headers=headers,
    )
    return raw.parse(), raw.headers


def steer(upstream: FakeUpstream) -> None:
    for name in [
        *TIERS,
        "pool-a",
        "pool-b",
        "judge",
        "other",
        "tier-simple",
        "tier-medium",
        "tier-complex",
        "tier-reasoning",
    ]:
        upstream.set(name, text=f"from {name}" if name != "judge" else json.dumps({"winner": 1, "reason": "r"}))


def test_easy_goes_cheap_hard_goes_strong_with_headers_and_spend_metadata(proxy, client, upstream):
    steer(upstream)
    easy, h_easy = ask(client, "auto", EASY)
    hard, h_hard = ask(client, "auto", HARD)
    # balanced: "hi" is not worth the strong model's price, the hard prompt is
    easy_to = answered_by(upstream)[0]
    assert easy_to in ("route-cheap", "route-mid") and answered_by(upstream)[1] == "route-strong"
    assert easy.choices[0].message.content == f"from {easy_to}"
    assert h_easy["x-litellm-fusion-route-deployment"] == f"openai/{easy_to}"
    assert h_hard["x-litellm-fusion-route-deployment"] == "openai/route-strong"
    assert float(h_hard["x-litellm-fusion-route-slope"]) < 1.0
    assert float(h_hard["x-litellm-fusion-route-difficulty"]) > float(h_easy["x-litellm-fusion-route-difficulty"])
    assert h_hard["x-litellm-fusion-route-mode"] == "balanced"
    assert h_hard["x-litellm-fusion-route-candidates"] == "openai/route-cheap,openai/route-mid,openai/route-strong"
    assert float(h_hard["x-litellm-fusion-route-classifier-us"]) > 0
    row = wait_for(lambda: [r for r in proxy.spend_rows() if r["request_id"] == hard.id], what="spend row")[0]
    routing = json.loads(row["metadata"])["spend_logs_metadata"]["routing"]
    assert routing["deployment"] == "openai/route-strong" and routing["group"] == "auto"
    assert set(routing["p_success"]) == {"openai/route-cheap", "openai/route-mid", "openai/route-strong"}
    assert routing["estimated_cost"] > 0 and "difficulty" in routing


def test_mode_changes_the_choice(client, upstream):
    steer(upstream)
    ask(client, "auto", HARD)
    ask(client, "auto-thrifty", HARD)  # price weight 0.5: the strong one's price must buy 50 points of success
    ask(client, "auto-thrifty", EASY)
    assert answered_by(upstream) == ["route-strong", "route-mid", "route-cheap"]


def test_multi_turn_classifies_the_current_ask_in_context(client, upstream):
    steer(upstream)
    difficulty = []
    for history in (
        [{"role": "user", "content": "hello there"}, {"role": "assistant", "content": "Hi! How can I help?"}],
        [{"role": "user", "content": HARD}, {"role": "assistant", "content": "Shall I include the proof?"}],
    ):
        raw = client.chat.completions.with_raw_response.create(
            model="auto", messages=[*history, {"role": "user", "content": "yes"}]
        )
        difficulty.append(float(raw.headers["x-litellm-fusion-route-difficulty"]))
    after_greeting, after_hard_question = answered_by(upstream)
    assert after_greeting != "route-strong" and after_hard_question == "route-strong"
    assert difficulty[1] - difficulty[0] > 1.0, "the same 'yes' is harder after a hard question"


def test_responses_endpoint_is_routed_by_its_input(client, upstream):
    steer(upstream)  # /v1/responses reaches the Router without `messages`: the input is what is classified
    client.responses.create(model="auto-thrifty", input=EASY)
    client.responses.create(
        model="auto-thrifty", input=[{"role": "user", "content": [{"type": "input_text", "text": HARD}]}]
    )
    assert answered_by(upstream) == ["route-cheap", "route-mid"]  # as for chat (test_mode_changes_the_choice)


def test_request_without_text_routes_by_the_default(client, upstream):
    steer(upstream)
    image = [{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]
    _, headers = ask(client, "auto", image)
    assert answered_by(upstream) == ["route-strong"]
    assert headers["x-litellm-fusion-route-difficulty"] == "none"


def test_unrouted_group_behaves_as_before(client, upstream):
    steer(upstream)
    for _ in range(24):
        _, headers = ask(client, "pool", HARD)
        assert not [h for h in headers if h.startswith("x-litellm-fusion-route")]
    assert set(answered_by(upstream)) == {"pool-a", "pool-b"}, "LiteLLM still shuffles between both"


def test_routed_group_inside_a_fusion_panel(client, upstream):
    steer(upstream)
    reply, headers = ask(client, "fusion/routed", EASY)
    assert sorted(answered_by(upstream)) == ["judge", "other", "route-cheap"]
    assert reply.choices[0].message.content == "from route-cheap"
    assert headers["x-litellm-fusion-winner"] == "auto-thrifty"


def test_classifier_plugin_in_litellms_complexity_router(client, upstream):
    steer(upstream)
    ask(client, "smart", EASY)
    ask(client, "smart", HARD)
    assert answered_by(upstream) == ["tier-simple", "tier-reasoning"]


def test_complexity_gate_answers_alone_or_fuses(proxy, client, upstream):
    steer(upstream)
    easy, h_easy = ask(client, "fusion/auto", EASY)
    assert h_easy["x-litellm-fusion-gate"] == "cheap" and answered_by(upstream) == ["route-cheap"]
    assert easy.choices[0].message.content == "from route-cheap" and h_easy["x-litellm-fusion-judge"] == "skipped"
    upstream.reset()
    steer(upstream)
    _, h_hard = ask(client, "fusion/auto", HARD)
    assert h_hard["x-litellm-fusion-gate"] == "strong" and answered_by(upstream) == ["route-strong"]
    upstream.reset()
    steer(upstream)
    _, h_fuse = ask(client, "fusion/auto-picky", HARD)
    assert h_fuse["x-litellm-fusion-gate"] == "fuse"
    assert sorted(answered_by(upstream)) == ["judge", "other", "route-cheap", "route-strong"]
    expected = (("fusion/auto", "cheap"), ("fusion/auto", "strong"), ("fusion/auto-picky", "fuse"))

    def counted() -> bool:
        text = proxy.metrics()
        return all(
            metric_sum(text, "litellm_fusion_gate_decisions_total", fusion_model=m, decision=d) == 1
            for m, d in expected
        )

    wait_for(counted, what="one gate decision of each kind in /metrics")


def test_caller_sets_mode_candidates_and_ceiling_where_the_group_allows(proxy, client, upstream):
    steer(upstream)
    reply, h = ask(client, "auto-open", HARD, metadata={"routing_candidates": ["route-cheap", "openai/route-mid"]})
    assert h["x-litellm-fusion-route-caller"] == "candidates=route-cheap,openai/route-mid"
    assert h["x-litellm-fusion-route-candidates"] == "openai/route-cheap,openai/route-mid"
    # the HARD prompt costs ~$0.017 on route-strong, ~$0.0034 on route-mid (400 output tokens assumed)
    _, h_cap = ask(client, "auto-open", HARD, headers={"x-litellm-routing-max-cost": "0.005"})
    assert h_cap["x-litellm-fusion-route-caller"] == "max_cost=0.005"
    _, h_free = ask(client, "auto-open", HARD)
    assert answered_by(upstream) == [
        h["x-litellm-fusion-route-deployment"].split("/")[1],
        h_cap["x-litellm-fusion-route-deployment"].split("/")[1],
        "route-strong",
    ]
    assert "route-strong" not in answered_by(upstream)[:2], "neither the subset nor the ceiling admits route-strong"
    assert h_free["x-litellm-fusion-route-caller"] == "none"
    _, h_cost = ask(client, "auto-open", HARD, headers={"x-litellm-routing-mode": "cost"})
    _, h_quality = ask(
        client, "auto-open", HARD, metadata={"routing_mode": "quality"}, headers={"x-litellm-routing-mode": "cost"}
    )  # the body's metadata wins over the header
    assert (h_cost["x-litellm-fusion-route-mode"], h_cost["x-litellm-fusion-route-caller"]) == ("cost", "mode=cost")
    assert h_quality["x-litellm-fusion-route-mode"] == "quality"
    row = wait_for(lambda: [r for r in proxy.spend_rows() if r["request_id"] == reply.id], what="spend row")[0]
    routing = json.loads(row["metadata"])["spend_logs_metadata"]["routing"]
    assert routing["caller"] == {"candidates": ["route-cheap", "openai/route-mid"]}
    assert routing["excluded"] == {"openai/route-strong": "not among the caller's candidates"}


@pytest.mark.parametrize(
    "model,metadata,headers,named",
    [
        (
            "auto",
            {"routing_mode": "cost"},
            None,
            (
                "routing_mode: routed group 'auto' does not let callers set mode "
                "(litellm_fusion.routing.auto.caller_may_set)"
            ),
        ),
        (
            "auto",
            None,
            {"x-litellm-routing-candidates": "route-cheap"},
            "x-litellm-routing-candidates: routed group 'auto'",
        ),
        ("auto-open", {"routing_mode": "fast"}, None, "routing_mode: must be cost, balanced or quality, got 'fast'"),
        (
            "auto-open",
            {"routing_candidates": ["gpt-9"]},
            None,
            "routing_candidates: 'gpt-9' is not a deployment of routed group",
        ),
        (
            "auto-open",
            None,
            {"x-litellm-routing-max-cost": "-1"},
            "x-litellm-routing-max-cost: must be a positive number",
        ),
        (
            "auto-open",
            {"routing_max_cost": 1e-9},
            None,
            "routing_max_cost: $0.000000001 is below the cheapest allowed deployment",
        ),
    ],
)
def test_a_disallowed_or_invalid_caller_value_is_a_400_naming_it(client, upstream, model, metadata, headers, named):
    steer(upstream)
    with pytest.raises(openai.BadRequestError) as err:
        ask(client, model, HARD, metadata=metadata, headers=headers)
    assert err.value.status_code == 400 and named in str(err.value)
    assert answered_by(upstream) == [], "refused before any deployment was called"


def test_a_cooled_down_deployment_is_skipped(client, upstream):
    """Run last: it leaves route-strong in cooldown for the rest of the proxy's life."""
    steer(upstream)
    upstream.set("route-strong", status=500, error_message="strong is down")
    reply, headers = ask(client, "auto", HARD)  # strong fails, is cooled down; the retry routes again
    assert reply.choices[0].message.content == "from route-mid"
    assert headers["x-litellm-fusion-route-deployment"] == "openai/route-mid"
    upstream.reset()
    steer(upstream)
    ask(client, "auto", HARD)
    assert answered_by(upstream) == ["route-mid"], "the cooled-down strong deployment is not chosen"
