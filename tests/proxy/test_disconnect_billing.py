"""A client that hangs up mid-request (LiteLLM's cancel_on_disconnect): in-flight member calls are
cancelled, the judge never runs, and what the members that had already answered cost is charged
once, in LiteLLM's failure spend row."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from helpers import FUSION_WIRING, wait_for
from fake_upstream import FakeUpstream
from proxy_harness import ProxyProcess, fake_deployment


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ProxyProcess, FakeUpstream]]:
    upstream = FakeUpstream(handler_cancellation=True).start()
    config = {
        "model_list": [fake_deployment(n, upstream.base_url, 1e-6, 2e-6) for n in ("d-a", "d-b", "d-slow", "d-judge")]
        + [{"model_name": "fusion/best-of", "litellm_params": {"model": "fusion/best-of", "panel": ["d-a", "d-b", "d-slow"], "judge": "d-judge"}}],
        "router_settings": {"num_retries": 0},
        "general_settings": {"cancel_on_disconnect": True},
        "litellm_settings": dict(FUSION_WIRING),
    }
    try:
        with ProxyProcess(config, tmp_path_factory.mktemp("disconnect")) as proxy:
            yield proxy, upstream
    finally:
        upstream.stop()


def test_disconnect_cancels_the_panel_and_charges_what_completed(setup):
    proxy, upstream = setup
    for name in ("d-a", "d-b", "d-slow"):
        upstream.set(name, text=f"answer {name}", prompt_tokens=10, completion_tokens=5)
    upstream.set("d-judge", text='{"winner": 1, "reason": "r"}')
    proxy.openai_client().chat.completions.create(model="fusion/best-of", messages=[{"role": "user", "content": "warm up"}])
    wait_for(lambda: len(proxy.spend_rows()) == 1, what="the warm-up's spend row")
    upstream.reset()
    upstream.set("d-a", text="A", prompt_tokens=10, completion_tokens=5)
    upstream.set("d-b", text="B", prompt_tokens=10, completion_tokens=5)
    upstream.set("d-slow", text="S", latency=20.0)
    upstream.set("d-judge", text='{"winner": 1, "reason": "r"}')
    with pytest.raises(openai.APITimeoutError):
        proxy.openai_client(timeout=2.0).chat.completions.create(model="fusion/best-of", messages=[{"role": "user", "content": "q"}])
    rows = wait_for(lambda: proxy.spend_rows()[1:], what="the failure row of the abandoned request")
    assert len(rows) == 1 and rows[0]["status"] == "failure"
    assert rows[0]["spend"] == pytest.approx(2 * (10 * 1e-6 + 5 * 2e-6), rel=1e-9), "d-a and d-b answered and were billed"
    slow = wait_for(lambda: [s for s in upstream.requests_for("d-slow") if s.finished is not None], what="the slow call to end")
    assert slow[0].status == 499, "the in-flight member call was cancelled"
    assert not upstream.requests_for("d-judge"), "the judge never ran for a reply nobody reads"
