"""Check a fusion request and split out the parameters passed on to panel members.

Supported per-member parameters are passed on unchanged; parameters fusion cannot honour get a 400
naming them (rather than being dropped silently); LiteLLM's own plumbing keys are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config.fusion import FusionModelConfig

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
        if role not in ROLES:
            raise RequestError(f"{name}: messages[{i}].role {role!r} is not one of {sorted(ROLES)}")
    for key, why in REJECTED.items():
        if optional_params.get(key) not in (None, [], {}, False):
            raise RequestError(f"{name}: unsupported parameter '{key}': {why}")
    n = optional_params.get("n")
    if n not in (None, 1):
        raise RequestError(f"{name}: unsupported parameter 'n'={n!r}: a fusion model returns one choice (n must be 1)")
    for key in FusionModelConfig.model_fields:
        if key in optional_params and key != "name" and optional_params[key] != deployment_params.get(key):
            raise RequestError(
                f"{name}: fusion option '{key}' cannot be set per request; it comes from the proxy config"
            )
    params = {k: v for k, v in optional_params.items() if k in PASSED_ON and v is not None}
    return FusionRequest(messages=messages, params=params)
