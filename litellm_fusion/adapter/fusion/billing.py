"""How a fusion request's inner calls reach LiteLLM's spend paths: exactly once, whichever way the request ends.

Every inner call that finished is in the engine's Ledger, and its provider billed it. LiteLLM logs the outer fusion
call once, as a success or as a failure, and each path reads the cost from its own place:
- success: the logging hook (adapter/callbacks.py) sets the logged cost from the totals the handler leaves in the
  request's metadata (`set_totals`), also for a stream whose client hung up mid-answer (LiteLLM bills it through this
  path);
- failure: LiteLLM's failure path lifts `response_cost` and `combined_usage_object` from the call's logging details
  (`bill_failure`), charges the caller's key/team/user and writes the failure spend row.
A failed request sets both from the same ledger (LiteLLM takes one path), so the handler's one settling step holds for
a FusionError, a cancellation and any unexpected exception alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litellm.types.utils import Usage

from ...config.fusion import FusionModelConfig
from ...engine import FusionResult
from ...engine.encodable import encodable_record
from ...engine.records import CallRecord
from ...observability.metadata import failure_metadata, set_spend_entry, spend_metadata
from ..proxy_access.request_metadata import logged_litellm_metadata

# Where the handler leaves the request's totals for the logging hook (same dict LiteLLM logs from).
RESULT_KEY = "litellm_fusion_result"


def spend_targets(metadata: dict[str, Any], logging_obj: Any) -> list[dict[str, Any]]:
    """Where the spend row reads `spend_logs_metadata`: `metadata`, and for a /v1/messages or /v1/responses request
    also the logging object's `litellm_metadata` (the spend logger of those routes reads that one)."""
    extra = logged_litellm_metadata(logging_obj)
    return [metadata, extra] if extra is not None and extra is not metadata else [metadata]


def _spend_entry(targets: list[dict[str, Any]], value: dict[str, Any]) -> None:
    """The `fusion` entry, made storable (what models wrote in it, lone surrogates or NUL, would make Postgres refuse
    the spend row), the same entry object in each target."""
    value = encodable_record(value)
    for target in targets:
        set_spend_entry(target, "fusion", value)


def set_totals(metadata: dict[str, Any], calls: Sequence[CallRecord]) -> None:
    """The request's totals where the logging hook reads them: the cost and usage of `calls`."""
    metadata[RESULT_KEY] = {
        "cost": sum(c.cost for c in calls),
        "prompt_tokens": sum(c.prompt_tokens for c in calls),
        "completion_tokens": sum(c.completion_tokens for c in calls),
    }


def bill_failure(logging_obj: Any, calls: Sequence[CallRecord]) -> None:
    """The calls' cost and usage where LiteLLM's failure path takes them (the call's logging details)."""
    details = getattr(logging_obj, "model_call_details", None)
    cost = sum(c.cost for c in calls)
    if not isinstance(details, dict) or cost <= 0:
        return
    prompt = sum(c.prompt_tokens for c in calls)
    completion = sum(c.completion_tokens for c in calls)
    details["combined_usage_object"] = Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )
    details["response_cost"] = cost


def settle_failure(
    logging_obj: Any,
    targets: list[dict[str, Any]],
    config: FusionModelConfig,
    calls: Sequence[CallRecord],
    error: str,
    outcome: str = "failed",
) -> None:
    """A request that ends without a reply (outcome `failed`, or `disconnected`: the client hung up): which calls ran
    and why it failed go into the spend row's metadata (failure logs, metrics), and what they cost into both spend
    paths (idempotent: the same values each time)."""
    _spend_entry(targets, failure_metadata(config, list(calls), error, outcome))
    set_totals(targets[0], calls)
    bill_failure(logging_obj, calls)


def record_success(
    targets: list[dict[str, Any]], config: FusionModelConfig, result: FusionResult, baseline: tuple[float, str] | None
) -> None:
    _spend_entry(targets, spend_metadata(config, result, baseline))
    set_totals(targets[0], result.calls)
