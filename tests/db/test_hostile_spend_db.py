"""What a model wrote reaches Postgres with the spend it is logged with (issue 22): a judge's reason with a lone
surrogate and a NUL character, a failing member whose error carries both, a judge's answer with both. Postgres refuses
such text, and LiteLLM drops a row Postgres refuses: the request's spend would be lost. One spend row each, with its
cost, and the key charged it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.client_calls import ask
from tests.support.db_proxy import DbProxy
from tests.support.db_scenario import PRICES, fleet_proxies, steer  # noqa: F401 - the tier's proxy
from tests.support.fake_upstream import FakeUpstream
from tests.support.helpers import EASY, billed, wait_for

HOSTILE_REASON = '{"winner": 1, "reason": "most complete \\ud800 and \\u0000 there"}'
HOSTILE_ERROR = {"status": 500, "error_message": "m-b is down \ud800 \x00"}


@pytest.mark.parametrize(
    "model, overrides, fails",
    [
        ("fusion/best-of", {"judge": {"text": HOSTILE_REASON}}, False),
        ("fusion/all-or-nothing", {"m_b": HOSTILE_ERROR}, True),
        ("fusion/merge", {"judge": {"text": "merged \ud800 and \x00 there"}}, False),
    ],
    ids=["judge-reason", "member-error", "judge-answer"],
)
def test_text_postgres_refuses_does_not_lose_the_spend_row(
    db_proxy: DbProxy, upstream: FakeUpstream, model: str, overrides: dict[str, Any], fails: bool
):
    key = db_proxy.new_key(key_alias=f"hostile-{model}-{fails}-{len(overrides)}")
    upstream.reset()
    steer(upstream, **overrides)
    try:
        ask(db_proxy.base_url, key, "chat", model, EASY, stream=False, headers={"x-litellm-tags": "fusion-db-hostile"})
    except Exception:  # noqa: BLE001 - the failing cases answer an error
        assert fails
    else:
        assert not fails
    cost = billed(upstream, PRICES)
    rows = wait_for(lambda: db_proxy.spend_rows(key), timeout=30, what="the spend row")
    assert len(rows) == 1 and float(rows[0]["spend"]) == pytest.approx(cost, rel=1e-9, abs=1e-15)
    wait_for(lambda: abs(db_proxy.key_spend(key) - cost) < 1e-12, timeout=30, what="the key's spend")
