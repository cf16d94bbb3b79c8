"""Granting a key a fusion model grants that model's configured panel and judge, and nothing else: the key's
requests to the fusion model run its members (which the key was not granted), the key cannot call a member
directly, cannot swap the panel or judge per request, and cannot reach a model it was not granted through fusion."""

from __future__ import annotations

import openai
import pytest

from tests.support.client_calls import ask
from tests.support.db_proxy import DbProxy
from tests.support.db_scenario import (
    ROUTED_GROUP,
    fleet_proxies,  # noqa: F401 - the tier's proxy joins the session's fleet
    steer,
)
from tests.support.fake_upstream import FakeUpstream
from tests.support.helpers import EASY


def denied(db: DbProxy, key: str, model: str, **extra: object) -> openai.APIStatusError:
    """LiteLLM's refusal of a model the key was not granted (403 on LiteLLM 1.108, 401 before), or the 400 of
    a request the plugin refuses (`extra`)."""
    oai = openai.OpenAI(base_url=db.base_url, api_key=key, max_retries=0, timeout=60)
    with pytest.raises(openai.APIStatusError) as caught:
        oai.chat.completions.create(model=model, messages=[{"role": "user", "content": EASY}], **extra)
    assert caught.value.status_code in ((400,) if extra else (401, 403)), caught.value
    return caught.value


def test_a_key_granted_a_fusion_model_runs_its_panel_and_nothing_else(db_proxy: DbProxy, upstream: FakeUpstream):
    steer(upstream)
    key = db_proxy.new_key(models=["fusion/best-of"])
    ask(db_proxy.base_url, key, "chat", "fusion/best-of", EASY)
    assert sorted({s.model for s in upstream.seen}) == ["judge", "m-a", "m-b", "m-c"]
    upstream.reset()
    for model in ("m-a", "judge", "fusion/debate", ROUTED_GROUP):  # its members, another fusion model, a group
        denied(db_proxy, key, model)
    for option, value in (("panel", ["m-a"]), ("judge", "m-a")):  # the configured panel and judge only
        assert option in denied(db_proxy, key, "fusion/best-of", extra_body={option: value}).message
    assert upstream.seen == [], "nothing the key was refused reached a provider"


def test_a_key_granted_a_member_model_cannot_reach_fusion_or_routing_through_it(
    db_proxy: DbProxy, upstream: FakeUpstream
):
    steer(upstream)
    key = db_proxy.new_key(models=["m-a"])
    for model in ("fusion/best-of", "fusion/debate", "fusion/cascade", ROUTED_GROUP):
        denied(db_proxy, key, model)
    assert upstream.seen == []
    ask(db_proxy.base_url, key, "chat", "m-a", EASY)
