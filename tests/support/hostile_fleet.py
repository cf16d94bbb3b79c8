"""The hostile-input tier's proxy (tests/hostile): config.example.yaml on the fake upstream (support/example_config),
its router settings included (num_retries 2: what a retried fusion call would cost shows; retried at once,
helpers.NO_RETRY_BACKOFF), with the loop-lag probe
loaded, one routed group more, `auto-cool`, whose deployments a test may cool down without touching `auto`, and the
example's cascade with the verifier its comments describe (`fusion/cascade-verified`).

Every module of the tier imports `fleet_proxies` from here: the fleet declares the proxy once (the same function) and
the modules share it through the `hostile` fixture (tests/hostile/conftest.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from .example_config import PRICES as EXAMPLE_PRICES
from .example_config import example_config
from .helpers import NO_RETRY_BACKOFF, billed, tagged_rows, wait_for
from .proxy_fleet import Fleet
from .proxy_harness import ProxyProcess, fake_deployment

NAME = "hostile"
COOL = {"cool-a": (1e-7, 2e-7), "cool-b": (2e-7, 4e-7)}  # the routed group auto-cool: cheap a, dearer b
PRICES: dict[str, tuple[float, float]] = {**EXAMPLE_PRICES, **COOL}
PANEL = ["gpt-4o-mini", "claude-haiku", "gemini-flash"]  # the example's panels; gpt-4o is the judge
ORDINARY = ["gpt-4o-mini", "gpt-4o", "claude-haiku", "gemini-flash"]


def hostile_config(upstream_url: str) -> dict[str, Any]:
    config = example_config(upstream_url, ["loop_lag.probe"])
    # Live audits off: an audit is a background call with a spend row of its own (tests/proxy/test_audit_proxy.py),
    # which would land in the next test's provider bill here, where each request is checked against exactly the
    # calls it made. Learning stays as the example sets it.
    for entry in config["model_list"]:
        entry["litellm_params"].pop("audit", None)
    for group in config["litellm_fusion"].get("routing", {}).values():
        group.pop("audit", None)
    for name, price in COOL.items():
        entry = fake_deployment(name, upstream_url, *price)
        entry["model_name"] = "auto-cool"
        entry["model_info"]["strength"] = 2.0
        config["model_list"].append(entry)
    config["litellm_fusion"]["routing"]["auto-cool"] = {"caller_may_set": ["candidates", "max_cost"]}
    # the example's cascade with the verifier its comments describe
    verified = {"mode": "cascade", "accept": "verifier", "verifier": {"model": "gpt-4o-mini", "threshold": 0.7}}
    config["model_list"].append(
        {
            "model_name": "fusion/cascade-verified",
            "litellm_params": {"model": "fusion/cascade-verified", "tiers": [PANEL[::2], ["gpt-4o"]], **verified},
        }
    )
    return config


def fleet_proxies(fleet: Fleet) -> None:
    # the example's num_retries 2, retried without backoff: a failing member's retries need not be waited out
    fleet.add(NAME, hostile_config(fleet.upstream.base_url), env=NO_RETRY_BACKOFF)


@dataclass
class Answer:
    """What the proxy answered one raw HTTP request."""

    status: int
    body: dict[str, Any]
    size: int
    headers: httpx.Headers

    @property
    def error(self) -> str:
        error = self.body.get("error")
        if isinstance(error, dict):
            return str(error.get("message"))
        return str(self.body.get("detail") or error or "")


def send(proxy: ProxyProcess, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Answer:
    """One request as a hostile client sends it: raw JSON (no SDK validation), the master key, no client retries."""
    response = httpx.post(
        f"{proxy.base_url}{path}",
        content=json.dumps(body),
        headers={"Authorization": f"Bearer {proxy.master_key}", "Content-Type": "application/json", **(headers or {})},
        timeout=120,
    )
    try:
        parsed = response.json()
    except ValueError:
        parsed = {"raw": response.text[:2000]}
    return Answer(
        response.status_code,
        parsed if isinstance(parsed, dict) else {"raw": parsed},
        len(response.content),
        response.headers,
    )


def chat(model: str, content: Any = "What is 2+2?", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": content}], **extra}


def spend_of(proxy: ProxyProcess, tag: str, rows: int = 1, timeout: float = 20.0) -> list[dict[str, Any]]:
    """The spend rows of the requests sent with `tag`, once there are at least `rows` of them (LiteLLM writes them
    after the reply)."""
    return wait_for(lambda: len(tagged_rows(proxy, tag)) >= rows and tagged_rows(proxy, tag), timeout, f"{rows} rows")


def provider_bill(upstream: Any) -> float:
    return billed(upstream, PRICES)
