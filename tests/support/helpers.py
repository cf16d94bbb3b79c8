"""What tests of every tier share: prompts, the plugin's proxy wiring, polling and Prometheus parsing."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

LITELLM_VERSION = tuple(int(x) for x in version("litellm").split(".")[:2])  # (major, minor) installed

# A trivial and a hard prompt, far apart on the routing classifier's difficulty scale.
EASY = "hi"
HARD = (
    "Prove that for every prime p > 3, p^2 - 1 is divisible by 24, then determine all integers n such that "
    "n^2 - 1 is divisible by 24. Give a rigorous proof using modular arithmetic and the Chinese remainder "
    "theorem, then write an efficient Python function that verifies the claim for all n up to 10^7 and "
    "analyse its time complexity."
)

FUSION_WIRING = {
    "custom_provider_map": [{"provider": "fusion", "custom_handler": "litellm_fusion.fusion_handler"}],
    "callbacks": ["litellm_fusion.fusion_callbacks", "prometheus", "spend_capture.capture"],
}

# A proxy's environment that takes the wait off LiteLLM's retries (its own env settings, read at import): the Router
# retries a failed call as often as configured, but at once, instead of after 0.5 s, 1 s, ... of exponential backoff
# plus up to 0.75 s of random jitter each, which a test of a failing call would otherwise wait out.
NO_RETRY_BACKOFF = {"INITIAL_RETRY_DELAY": "0", "JITTER": "0"}


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)  # sleep-ok: bounded polling for an asynchronous write by the proxy


_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def metric_samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """Samples of one metric from Prometheus text format: [(labels, value)]."""
    out = []
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if m and m.group("name") == name:
            out.append((dict(_LABEL.findall(m.group("labels") or "")), float(m.group("value"))))
    return out


def metric_sum(text: str, name: str, **match: str) -> float:
    return sum(v for labels, v in metric_samples(text, name) if all(labels.get(k) == val for k, val in match.items()))


def billed(upstream: Any, prices: dict[str, tuple[float, float]]) -> float:
    """What the fake upstream billed: every reply it sent whole, at `prices` (model: ($/input, $/output token))."""
    total = 0.0
    for seen in list(upstream.seen):
        if seen.usage is not None and seen.finished is not None:
            price_in, price_out = prices[seen.model]
            total += seen.usage["prompt_tokens"] * price_in + seen.usage["completion_tokens"] * price_out
    return total


def new_tag() -> str:
    """A request tag unique to one test (sent as `x-litellm-tags`), to find that test's spend rows."""
    import uuid

    return f"test-{uuid.uuid4().hex[:12]}"


def tagged_rows(proxy: Any, tag: str) -> list[dict[str, Any]]:
    """The spend rows of the requests sent with the tag `tag`."""
    import json

    rows = []
    for row in proxy.spend_rows():
        tags = row.get("request_tags")
        tags = json.loads(tags) if isinstance(tags, str) else tags or []
        if tag in tags:
            rows.append(row)
    return rows
