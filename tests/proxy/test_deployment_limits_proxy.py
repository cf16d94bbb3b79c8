"""A deployment's own rate limit (its `litellm_params.rpm`, enforced by LiteLLM's Router with
`enable_pre_call_checks`) applies to fusion's panel calls to it as to any call: fusion calls members through the
proxy's Router. (Key and team limits, which count the model name the caller asked for: tests/db/test_budgets_db.py.)
"""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from tests.support.fake_upstream import FakeUpstream
from tests.support.helpers import FUSION_WIRING
from tests.support.proxy_fleet import Fleet
from tests.support.proxy_harness import ProxyProcess, fake_deployment

NAME = "deployment-limits"


def fleet_proxies(fleet: Fleet) -> None:
    url = fleet.upstream.base_url
    fleet.add(
        NAME,
        {
            "model_list": [
                fake_deployment("rl-limited", url, 1e-6, 2e-6, rpm=1),
                fake_deployment("rl-free", url, 1e-6, 2e-6),
                {
                    "model_name": "fusion/limited",
                    "litellm_params": {
                        "model": "fusion/best-of",
                        "panel": ["rl-limited", "rl-free"],
                        "judge": "rl-free",
                    },
                },
            ],
            "router_settings": {"num_retries": 0, "enable_pre_call_checks": True},
            "litellm_settings": dict(FUSION_WIRING),
        },
    )


@pytest.fixture(scope="module")
def proxy(fleet: Fleet) -> Iterator[ProxyProcess]:
    with fleet.lease(NAME) as serving:
        yield serving


def test_a_deployment_rpm_limit_holds_for_fusion_panel_calls(proxy: ProxyProcess, upstream: FakeUpstream):
    upstream.set("rl-limited", text="A")
    upstream.set("rl-free", text='{"winner": 1, "reason": "r"}')
    client = proxy.openai_client()
    client.chat.completions.create(model="fusion/limited", messages=[{"role": "user", "content": "q"}])
    assert len(upstream.requests_for("rl-limited")) == 1
    # the deployment's one request this minute is used: the next fusion request goes on without that member
    second = client.chat.completions.create(model="fusion/limited", messages=[{"role": "user", "content": "q"}])
    assert second.choices[0].message.content and len(upstream.requests_for("rl-limited")) == 1
    with pytest.raises(openai.RateLimitError):  # as for a direct call to it
        client.chat.completions.create(model="rl-limited", messages=[{"role": "user", "content": "q"}])
    assert len(upstream.requests_for("rl-limited")) == 1
