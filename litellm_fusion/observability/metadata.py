"""What a fusion request shows about itself: response headers and the spend-log metadata."""

from __future__ import annotations

from typing import Any

from ..config.fusion import FusionModelConfig
from ..engine.types import CallRecord, FusionResult

HEADER_PREFIX = "x-litellm-fusion-"


def set_spend_entry(metadata: dict[str, Any], key: str, value: dict[str, Any]) -> None:
    """Put our entry in LiteLLM's `spend_logs_metadata` (copied: the client's dict is not mutated)."""
    spend = metadata.get("spend_logs_metadata")
    spend = dict(spend) if isinstance(spend, dict) else {}
    spend[key] = value
    metadata["spend_logs_metadata"] = spend


def _header_value(text: str, limit: int = 300) -> str:
    """Header-safe: one line of printable ASCII."""
    flat = " ".join(str(text).split())
    return flat.encode("ascii", "replace").decode("ascii")[:limit]


def _dropped(calls: list[CallRecord]) -> list[dict[str, Any]]:
    return [{"model": c.model, "round": c.round, "error": c.error} for c in calls if c.role == "member" and not c.ok]


def failure_metadata(config: FusionModelConfig, calls: list[CallRecord], error: str) -> dict[str, Any]:
    """The `fusion` entry of a failed request's metadata (too few members answered)."""
    return {
        "mode": config.mode.value,
        "fusion_model": config.name,
        "panel": list(config.panel),
        "outcome": "failed",
        "error": error[:1000],
        "members": [c.as_metadata() for c in calls if c.role == "member"],
        "dropped": _dropped(calls),
        "judge": {"model": config.judge, "outcome": "skipped", "cache": "off"},
        "cost": sum(c.cost for c in calls),
    }


def spend_metadata(config: FusionModelConfig, result: FusionResult) -> dict[str, Any]:
    """The `fusion` entry of the spend row's `spend_logs_metadata`."""
    members = [c for c in result.calls if c.role == "member"]
    judge_calls = [c for c in result.calls if c.role == "judge"]
    judge_call = judge_calls[0] if judge_calls else None
    degraded = result.judge.outcome == "fallback" or any(not c.ok for c in result.calls)
    return {
        "mode": result.mode,
        "fusion_model": config.name,
        "panel": list(config.panel),
        "outcome": "degraded" if degraded else "ok",
        "rounds": result.rounds,
        "members": [c.as_metadata() for c in members],
        "dropped": _dropped(result.calls),
        "judge": {
            "model": config.judge,
            "outcome": result.judge.outcome,
            "cache": result.judge.cache,
            "reason": result.judge.reason,
            "winner": result.winner.model if result.winner else None,
            "cost": judge_call.cost if judge_call else 0.0,
            "latency_ms": round(judge_call.latency_s * 1000, 1) if judge_call else 0.0,
            "prompt_tokens": judge_call.prompt_tokens if judge_call else 0,
            "completion_tokens": judge_call.completion_tokens if judge_call else 0,
            **({"error": judge_call.error} if judge_call and judge_call.error else {}),
        },
        "cost": result.cost,
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "elapsed_ms": round(result.elapsed_s * 1000, 1),
        "overhead_ms": round(result.overhead_s * 1000, 2),
    }


def response_headers(config: FusionModelConfig, result: FusionResult) -> dict[str, str]:
    dropped = _dropped(result.calls)
    headers = {
        "mode": result.mode,
        "panel": ",".join(config.panel),
        "answered": str(sum(1 for c in result.calls if c.role == "member" and c.round == 1 and c.ok)),
        "winner": result.winner.model if result.winner else f"judge:{config.judge}",
        "judge": result.judge.outcome,
        "judge-model": config.judge,
        "judge-reason": result.judge.reason,
        "judge-cache": result.judge.cache,
        "rounds": str(result.rounds),
        "calls": str(len(result.calls)),
        "cost": repr(result.cost),
        "overhead-ms": f"{result.overhead_s * 1000:.2f}",
    }
    if dropped:
        headers["dropped"] = "; ".join(f"{d['model']}(r{d['round']}): {d['error']}" for d in dropped)
    return {HEADER_PREFIX + k: _header_value(v) for k, v in headers.items()}


def reply_details(config: FusionModelConfig, result: FusionResult) -> dict[str, Any]:
    """`return_candidates: true`: the spend metadata plus every member's final answer."""
    return {
        **spend_metadata(config, result),
        "candidates": [{"model": c.model, "panel_index": c.member, "text": c.text} for c in result.candidates],
    }
