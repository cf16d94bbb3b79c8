"""Where a request's metadata lives, and every read and write the plugin makes of it.

LiteLLM keeps a request's metadata (the caller's own `metadata`, the identity its auth adds: `user_api_key*`,
`headers`, `spend_logs_metadata`, ...) under one of two keys, by route (`metadata_variable_name_for_route` and
`LITELLM_METADATA_ROUTES` in `litellm/proxy/litellm_pre_call_utils.py`):

- `litellm_metadata` on the routes whose APIs have a `metadata` field of their own: `/v1/messages`, `/v1/responses`
  (`responses`), batches, files, bedrock pass-through, threads and assistants;
- `metadata` everywhere else, `/v1/chat/completions` among them.

The Router passes that key on in the call's kwargs (`get_metadata_variable_name_from_kwargs`), and LiteLLM's logging
reads it back from the call's `litellm_params`; the spend row of a `/v1/messages` or `/v1/responses` request is
built from the logging object's `litellm_metadata`. A fusion model's handler (a CustomLLM) reads and writes
`litellm_params["metadata"]`; a request bridged from /v1/messages or /v1/responses reaches it with none of its own,
so the handler makes one, the same dict the logging object reads (`handler_metadata`).

Readers here take either key, so one function serves every route:
- `read`: the request's metadata for reading, the first non-empty dict of the two (else `{}`);
- `logged`: the same for a logged call's kwargs (its `litellm_params`);
- `all_dicts`: both, where a write or a strip must reach whichever LiteLLM reads (reserved keys, the budget
  reservation, the routing record);
- `headers`: the client's request headers as the proxy recorded them;
- `routing_target`: where the routing filter writes its decision in the Router's kwargs;
- `handler_metadata`, `handler_written`, `logged_litellm_metadata`: the fusion handler's dict and the logging
  object's `litellm_metadata` (adapter/fusion/handler.py and billing.py, adapter/callbacks.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

KEYS = ("metadata", "litellm_metadata")  # LiteLLM's two names, chat's first


def all_dicts(container: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Every metadata dict of a request body, kwargs or `litellm_params`, `metadata` first."""
    found = [(container or {}).get(key) for key in KEYS]
    return [value for value in found if isinstance(value, dict)]


def read(container: Mapping[str, Any] | None) -> dict[str, Any]:
    """The metadata to read: the first non-empty dict of `metadata` and `litellm_metadata`, else {}."""
    for value in all_dicts(container):
        if value:
            return value
    return {}


def logged(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The metadata of a logged call (LiteLLM's logging kwargs): `read` of its `litellm_params`."""
    return read(kwargs.get("litellm_params") or {})


def headers(kwargs: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The client's request headers as the proxy recorded them (metadata or proxy_server_request)."""
    for source in (*((kwargs or {}).get(key) for key in KEYS), (kwargs or {}).get("proxy_server_request")):
        if isinstance(source, Mapping) and isinstance(source.get("headers"), Mapping):
            return source["headers"]
    return {}


def routing_target(request_kwargs: dict[str, Any] | None) -> dict[str, Any]:
    """The dict the routing filter writes its decision into, in the kwargs the Router passes to its filter hook:
    `litellm_metadata` when only that one is there, else `metadata` (made when missing or not a dict)."""
    if request_kwargs is None:
        return {}
    key = (
        "litellm_metadata" if "litellm_metadata" in request_kwargs and "metadata" not in request_kwargs else "metadata"
    )
    metadata = request_kwargs.get(key)
    if not isinstance(metadata, dict):
        metadata = request_kwargs[key] = {}
    return metadata


def handler_metadata(litellm_params: dict | None, logging_obj: Any = None) -> dict[str, Any]:
    """The fusion handler's metadata dict: the same object LiteLLM's logging reads (so writes show up in logs and the
    spend row). A request bridged from /v1/messages or /v1/responses reaches the handler with no `metadata` of its own
    (the proxy keeps those routes' metadata in `litellm_metadata`): one is made where the logging object reads."""
    if litellm_params is None:
        return {}
    metadata = litellm_params.get("metadata")
    details = getattr(logging_obj, "model_call_details", None)
    logged_params = details.get("litellm_params") if isinstance(details, dict) else None
    if metadata is None and isinstance(logged_params, dict) and isinstance(logged_params.get("metadata"), dict):
        metadata = logged_params["metadata"]
    if metadata is None:
        metadata = {}
    litellm_params["metadata"] = metadata
    if isinstance(logged_params, dict) and logged_params.get("metadata") is not metadata:
        logged_params["metadata"] = metadata
    return metadata


def handler_written(litellm_params: Mapping[str, Any]) -> dict[str, Any]:
    """What the fusion handler wrote, in the logging hook: its `metadata` (`handler_metadata` made it on every
    route), else {}."""
    return litellm_params.get("metadata") or {}


def logged_litellm_metadata(logging_obj: Any) -> dict[str, Any] | None:
    """The logging object's `litellm_metadata` (None: none), which the spend logger of /v1/messages and
    /v1/responses reads."""
    details = getattr(logging_obj, "model_call_details", None)
    logged_params = details.get("litellm_params") if isinstance(details, dict) else None
    extra = logged_params.get("litellm_metadata") if isinstance(logged_params, dict) else None
    return extra if isinstance(extra, dict) else None
