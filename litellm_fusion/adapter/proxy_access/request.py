"""Check a fusion request and split out the parameters passed on to panel members.

Supported per-member parameters are passed on unchanged; parameters fusion cannot honour get a 400
naming them (rather than being dropped silently); LiteLLM's own plumbing keys are ignored.

`check_body` runs in the proxy's pre-call hook, on the request as the caller sent it to any endpoint, and names the
field as the caller did (`input` on /v1/responses, `max_output_tokens` there); `parse_request` checks what reaches the
fusion handler again. Both are linear in the request and never recurse on it.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...config.fusion import FusionModelConfig
from ...engine.bounded_json import value_too_deep

PASSED_ON = frozenset(
    {
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "presence_penalty",
        "frequency_penalty",
        "seed",
        "logit_bias",
        "response_format",
        "reasoning_effort",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
    }
)

REJECTED = {
    "functions": "the legacy `functions` parameter is not supported by fusion models; send `tools` instead",
    "function_call": "the legacy `function_call` parameter is not supported by fusion models; send `tool_choice`",
    "logprobs": "logprobs are not available from a fused answer",
    "top_logprobs": "logprobs are not available from a fused answer",
    "audio": "audio output is not supported by fusion models",
    "modalities": "output modalities other than text are not supported by fusion models",
    "prediction": "predicted outputs are not supported by fusion models",
    "web_search_options": "web search is not supported by fusion models",
}

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})


class RequestError(ValueError):
    """The request cannot be served by a fusion model: answered with HTTP 400."""


TOKEN_LIMITS = ("max_tokens", "max_completion_tokens", "max_output_tokens")
MAX_TOKEN_LIMIT = 2**31 - 1
MESSAGE_DEPTH = 16  # a message, content part or input item nests a few levels; 16 is far beyond any real one
PARAM_DEPTH = 64  # a parameter passed on to members (tools' JSON schemas, response_format) may nest deeper

_SHOWN = reprlib.Repr()
_SHOWN.maxlevel, _SHOWN.maxstring, _SHOWN.maxother, _SHOWN.maxlist, _SHOWN.maxdict = 2, 60, 60, 4, 4


def shown(value: Any) -> str:
    """A caller's value in an error message: short whatever its size or nesting (reprlib stops at two levels)."""
    return _SHOWN.repr(value)


def token_limit_error(fields: Mapping[str, Any], names: tuple[str, ...] = TOKEN_LIMITS) -> str | None:
    """What is wrong with the request's output-token limits, naming the field, or None."""
    for name in names:
        value = fields.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TOKEN_LIMIT:
            return f"'{name}' must be a positive integer (at most {MAX_TOKEN_LIMIT}), got {shown(value)}"
    return None


def _too_deep(items: Any, field: str) -> str | None:
    for i, item in enumerate(items):
        where = f"{field}[{i}]"
        parts = item.items() if isinstance(item, Mapping) else [("", item)]
        for key, value in parts:
            if value_too_deep(value, MESSAGE_DEPTH):
                at = f"{where}.{key}" if key else where
                return f"'{at}' nests deeper than {MESSAGE_DEPTH} levels (content parts hold text, not more parts)"
    return None


def check_body(name: str, data: Mapping[str, Any]) -> None:
    """A request to fusion model `name`, as sent to /v1/chat/completions, /v1/messages or /v1/responses: the fields
    the fusion handler reads, named as the caller sent them. Raises RequestError."""
    field = "input" if "input" in data and "messages" not in data else "messages"
    items = data.get(field)
    if field == "input" and isinstance(items, str):
        if not items.strip():
            raise RequestError(f"{name}: 'input' is empty; send the text to answer (a string or a list of items)")
        items = [items]
    elif not isinstance(items, list) or not items:
        raise RequestError(f"{name}: '{field}' must be a non-empty list, got {shown(items)}")
    problem = _too_deep(items, field) or token_limit_error(data) or _deep_param(data)
    if problem:
        raise RequestError(f"{name}: {problem}")


def _deep_param(params: Mapping[str, Any]) -> str | None:
    for key in PASSED_ON:
        if value_too_deep(params.get(key), PARAM_DEPTH):
            return f"'{key}' nests deeper than {PARAM_DEPTH} levels"
    return None


@dataclass(frozen=True)
class FusionRequest:
    messages: list[dict[str, Any]]
    params: dict[str, Any]  # passed on to every member


def parse_request(
    config: FusionModelConfig,
    messages: Any,
    optional_params: dict[str, Any],
    deployment_params: dict[str, Any],
) -> FusionRequest:
    name = config.name
    if not isinstance(messages, list) or not messages:
        raise RequestError(f"{name}: 'messages' must be a non-empty list")
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise RequestError(f"{name}: messages[{i}] must be an object with 'role' and 'content'")
        role = message.get("role")
        if not isinstance(role, str) or role not in ROLES:
            raise RequestError(f"{name}: messages[{i}].role {shown(role)} is not one of {sorted(ROLES)}")
    problem = _too_deep(messages, "messages") or token_limit_error(optional_params) or _deep_param(optional_params)
    if problem:
        raise RequestError(f"{name}: {problem}")
    for key, why in REJECTED.items():
        if optional_params.get(key) not in (None, [], {}, False):
            raise RequestError(f"{name}: unsupported parameter '{key}': {why}")
    n = optional_params.get("n")
    if n not in (None, 1):
        raise RequestError(
            f"{name}: unsupported parameter 'n'={shown(n)}: a fusion model returns one choice (n must be 1)"
        )
    for key in FusionModelConfig.model_fields:
        if key in optional_params and key != "name" and optional_params[key] != deployment_params.get(key):
            raise RequestError(
                f"{name}: fusion option '{key}' cannot be set per request; it comes from the proxy config"
            )
    params = {k: v for k, v in optional_params.items() if k in PASSED_ON and v is not None}
    return FusionRequest(messages=messages, params=params)
