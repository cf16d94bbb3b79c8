"""The one count of a request's prompt tokens, for every estimate made before a call: the cost cap
(`max_cost_per_request`, adapter/fusion/policies.py), the budget reservation of a request and of an audit
(adapter/budgets/request_estimate.py, adapter/audit/audit_admission.py) and complexity routing's price and
context-window check (adapter/routing/routing_hook.py).

**Decision: LiteLLM's `token_counter`** (the gpt-4o tokenizer), not characters / 4, which the routing hook used.
- Accuracy is what the estimates are for. Characters / 4 undercounts text that tokenizes densely: CJK text is about
  1.7 tokens a character (6.7 times characters / 4) and digits about 0.33 (1.3 times), so a prompt could reserve a
  sixth of its budget share, pass a cost cap it breaks, or be routed to a deployment whose context window it
  overflows.
- Its cost is linear in the prompt and stays inside the hostile-input tier's bounds (docs/hostile-input.md: every
  reader on the request path reads 100 KB in under 50 ms). Measured on LiteLLM 1.108.7, 2 shared cores: 100 KB of
  prose 2 ms, of one repeated letter 10 ms, of CJK 14 ms; 4 MB 0.4 to 0.5 s (the routing classifier reads the same
  text). On the routing hook's path it adds 40 µs to a 200-character prompt, 90 µs to 2 KB and 0.5 ms to 20 KB
  (`python -m benchmarks routing filter`, benchmarks/RESULTS.md), next to LiteLLM's own ~20 ms per proxied call.
  The routing hook counts a request once (a retry again); a request under a budget is also counted once in the
  pre-call hook, for its reservation.
- Two bounds token_counter does not give by itself, kept here: an image is counted at LiteLLM's default size
  (`use_default_image_token_count`), because token_counter otherwise downloads an image URL, a blocking request on
  the proxy's event loop to an address the caller chose; and a message shape token_counter cannot read (any JSON
  value can arrive: tests/hostile) falls back to characters / 4 of its text parts, a linear walk that never
  recurses, so the count never fails.
- Tool definitions (`tools`, when a caller counts them) are characters of their JSON / 4: chat, /v1/messages and
  /v1/responses describe tools in different shapes, and token_counter reads only chat's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

CHARS_PER_TOKEN = 4  # the fallback's and the tool definitions' estimate
COUNTED_AS = "gpt-4o"  # the tokenizer the counts use, whatever model the request goes to


def _text_chars(messages: Any) -> int:
    """Characters of the messages' text (string content and text parts), for any value, without recursing."""
    total = 0
    for message in messages if isinstance(messages, list | tuple) else ():
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, str):
            total += len(content)
        elif isinstance(content, list):
            total += sum(len(p["text"]) for p in content if isinstance(p, Mapping) and isinstance(p.get("text"), str))
    return total


def count(messages: Any, tools: Any = None) -> int:
    """The prompt tokens of `messages` (chat messages; any value is accepted), plus those of `tools` if given."""
    import litellm

    try:
        tokens = int(litellm.token_counter(model=COUNTED_AS, messages=messages, use_default_image_token_count=True))
    except Exception:  # noqa: BLE001 - a shape token_counter cannot read (or too deep for it): count characters
        tokens = _text_chars(messages) // CHARS_PER_TOKEN + 1
    if tools:
        tokens += len(json.dumps(tools, default=str)) // CHARS_PER_TOKEN  # tool definitions are prompt too
    return tokens


def _as_message(item: Any, role: str = "user") -> dict[str, Any]:
    if isinstance(item, Mapping) and isinstance(item.get("role"), str):
        return dict(item)
    return {"role": role, "content": item if isinstance(item, str) else json.dumps(item, default=str)}


def request_messages(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The prompt as chat messages, whichever API it came in on: chat's `messages`, /v1/messages' `system` and
    `messages`, /v1/responses' `instructions` and `input` (an item without a role counts as its JSON text)."""
    out: list[dict[str, Any]] = []
    for system in (data.get("system"), data.get("instructions")):
        if system:
            out.append(_as_message(system, "system"))
    for key in ("messages", "input"):
        value = data.get(key)
        if isinstance(value, str):
            out.append(_as_message(value))
        elif isinstance(value, Sequence):
            out.extend(_as_message(item) for item in value)
    return out


def of_request(data: Mapping[str, Any]) -> int:
    """The prompt tokens of a request body as the proxy received it, on any of the three APIs, tools included."""
    return count(request_messages(data), data.get("tools"))
