"""What a fusion request shows about itself: response headers and the spend-log metadata."""

from __future__ import annotations

import re
from typing import Any

from ..config.fusion import FusionModelConfig
from ..engine.modes.table import mode_of
from ..engine.records import CallRecord, FusionResult

HEADER_PREFIX = "x-litellm-fusion-"


def set_spend_entry(metadata: dict[str, Any], key: str, value: dict[str, Any]) -> None:
    """Put our entry in LiteLLM's `spend_logs_metadata` (copied: the client's dict is not mutated)."""
    spend = metadata.get("spend_logs_metadata")
    spend = dict(spend) if isinstance(spend, dict) else {}
    spend[key] = value
    metadata["spend_logs_metadata"] = spend


_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")


def header_value(text: str, limit: int = 300) -> str:
    """Header-safe: one line of printable ASCII, no leading or trailing space (HTTP refuses a header value with control
    characters or edge whitespace, which would fail the whole reply)."""
    flat = " ".join(str(text).split())[:limit]
    return _UNPRINTABLE.sub("?", flat).strip()


def _dropped(calls: list[CallRecord]) -> list[dict[str, Any]]:
    return [{"model": c.model, "round": c.round, "error": c.error} for c in calls if c.role == "member" and not c.ok]


def call_lines(calls: list[CallRecord]) -> list[str]:
    """One line per inner call, in the order they finished: LiteLLM's admin UI shows a request's metadata as
    raw JSON in a small box, where this reads at a glance (the same facts are in `members` / `judge`)."""
    lines = []
    for c in calls:
        step = f"tier {c.tier} " if c.tier is not None else f"round {c.round} " if c.role == "member" else ""
        failed = "" if c.ok else f", failed: {' '.join(str(c.error or '').split())[:80]}"
        lines.append(
            f"{step}{c.role} {c.model}: ${c.cost:.6f}, {c.prompt_tokens}+{c.completion_tokens} tokens, "
            f"{c.latency_s * 1000:.0f} ms{', cache hit' if c.cached else ''}{failed}"
        )
    return lines


def _lineup(config: FusionModelConfig) -> dict[str, Any]:
    """Who a fusion model calls, as its mode states it (its panel, or its tiers)."""
    return mode_of(config).lineup(config)


def failure_metadata(
    config: FusionModelConfig, calls: list[CallRecord], error: str, outcome: str = "failed"
) -> dict[str, Any]:
    """The `fusion` entry of a failed request's metadata (too few members answered, no tier answered; outcome
    `disconnected`: the client hung up, and the calls that had finished are what it is charged)."""
    return {
        "mode": config.mode.value,
        "fusion_model": config.name,
        **_lineup(config),
        "outcome": outcome,
        "error": error[:1000],
        "calls": call_lines(calls),
        "members": [c.as_metadata() for c in calls if c.role == "member"],
        "dropped": _dropped(calls),
        "judge": {"model": config.judge or None, "outcome": "skipped", "cache": "off"},
        "cost": sum(c.cost for c in calls),
    }


def _cascade_entry(result: FusionResult, baseline: tuple[float, str] | None) -> dict[str, Any]:
    report = result.cascade
    assert report is not None
    verifier = [c for c in result.calls if c.role == "verifier"]
    entry: dict[str, Any] = {
        "tier_reached": report.tier_reached,
        "accepted_by": report.accepted_by,
        "escalations": [{"tier": t.tier, "code": t.code, "reason": t.escalated} for t in report.tiers if t.escalated],
        "tier_reports": [t.as_metadata() for t in report.tiers],
        "verifier_calls": [c.as_metadata() for c in verifier],
    }
    if baseline is not None:
        entry["baseline_cost"], entry["baseline"] = baseline
        entry["savings"] = baseline[0] - result.cost
    return entry


def spend_metadata(
    config: FusionModelConfig, result: FusionResult, baseline: tuple[float, str] | None = None
) -> dict[str, Any]:
    """The `fusion` entry of the spend row's `spend_logs_metadata`."""
    members = [c for c in result.calls if c.role == "member"]
    judge_calls = [c for c in result.calls if c.role == "judge"]
    judge_call = judge_calls[0] if judge_calls else None
    fell_back = result.cascade is not None and result.cascade.accepted_by.startswith("fallback")
    degraded = result.judge.outcome == "fallback" or fell_back or any(not c.ok for c in result.calls)
    return {
        "mode": result.mode,
        "fusion_model": config.name,
        **_lineup(config),
        **(_cascade_entry(result, baseline) if result.cascade is not None else {}),
        "outcome": "degraded" if degraded else "ok",
        "calls": call_lines(result.calls),
        "rounds": result.rounds,
        **({"converged": True} if result.converged else {}),
        "members": [c.as_metadata() for c in members],
        "dropped": _dropped(result.calls),
        **(
            {"tool_calls": [{"name": c.name, "arguments": c.arguments} for c in result.tool_calls]}
            if result.tool_calls
            else {}
        ),
        "judge": {
            "model": config.judge or None,
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


def response_headers(
    config: FusionModelConfig,
    result: FusionResult,
    gate: dict[str, Any] | None = None,
    cost_cap: dict[str, Any] | None = None,
) -> dict[str, str]:
    dropped = _dropped(result.calls)
    headers = {
        "mode": result.mode,
        "answered": str(sum(1 for c in result.calls if c.role == "member" and c.round == 1 and c.ok)),
        "winner": result.winner.model if result.winner else f"judge:{config.judge}",
        "calls": str(len(result.calls)),
        "cost": repr(result.cost),
        "overhead-ms": f"{result.overhead_s * 1000:.2f}",
    }
    if result.cascade is not None:
        headers.update(
            {
                "tiers": " | ".join(",".join(t.models) for t in config.tiers),
                "tier": str(result.cascade.tier_reached),
                "accepted-by": result.cascade.accepted_by,
                "escalations": "; ".join(f"{t.tier}: {t.escalated}" for t in result.cascade.tiers if t.escalated)
                or "none",
            }
        )
    else:
        headers.update(
            {
                "panel": ",".join(config.panel),
                "judge": result.judge.outcome,
                "judge-model": config.judge,
                "judge-reason": result.judge.reason,
                "judge-cache": result.judge.cache,
                "rounds": str(result.rounds),
            }
        )
    if dropped:
        headers["dropped"] = "; ".join(f"{d['model']}(r{d['round']}): {d['error']}" for d in dropped)
    if gate is not None:
        headers["gate"] = gate["decision"]
        headers["gate-difficulty"] = f"{gate['difficulty']:.4f}"
    if cost_cap is not None:
        headers["cost-estimate"] = f"{cost_cap['estimate']:.8f}"
        headers["cost-cap"] = f"{cost_cap['cap']:.8f}"
    return {HEADER_PREFIX + k: header_value(v) for k, v in headers.items()}


def reply_details(config: FusionModelConfig, result: FusionResult) -> dict[str, Any]:
    """`return_candidates: true`: the spend metadata plus every member's final answer."""
    return {
        **spend_metadata(config, result),
        "candidates": [
            {
                "model": c.model,
                "panel_index": c.member,
                "text": c.text,
                **({"tool_calls": [t.as_openai() for t in c.tool_calls]} if c.tool_calls else {}),
            }
            for c in result.candidates
        ],
    }
