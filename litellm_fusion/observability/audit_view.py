"""What a request shows about its audit: response headers from the `audit` entry of its metadata.

- `x-litellm-fusion-audit`: `sampled` (an audit follows the reply if an earlier tier answers) or `not sampled`.
- `x-litellm-fusion-guardrail`: `ok`, or the tripped tiers and why (`tier 1 tripped: disagreement 0.200 [0.131,
  0.292] n=100: lower bound above max_disagreement 0.03`); `unavailable` when no estimate could be read and no tier
  is tripped.
The metadata entry (`spend_logs_metadata.fusion.audit`) holds each tier's estimate (counts, agreement and its 95%
interval, or `unavailable`) and guardrail state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .metadata import HEADER_PREFIX, _header_value


def guardrail_text(tiers: Mapping[str, Any], label: str = "tier") -> str:
    tripped = [
        f"{label} {t} tripped: {v['guardrail']['reason']}"
        for t, v in tiers.items()
        if isinstance(v, Mapping) and (v.get("guardrail") or {}).get("tripped")
    ]
    if tripped:
        return "; ".join(tripped)
    if any(isinstance(v, Mapping) and v.get("estimate") == "unavailable" for v in tiers.values()):
        return "unavailable"
    return "ok"


def audit_headers(entry: Mapping[str, Any] | None) -> dict[str, str]:
    if not isinstance(entry, Mapping):
        return {}
    tiers = entry.get("tiers") if isinstance(entry.get("tiers"), Mapping) else {}
    return {
        HEADER_PREFIX + "audit": "sampled" if entry.get("sampled") else "not sampled",
        HEADER_PREFIX + "guardrail": _header_value(guardrail_text(tiers), 500),
    }


def route_audit_headers(entry: Mapping[str, Any]) -> dict[str, str]:
    """A routed request's audit: `x-litellm-fusion-route-audit` (sampled | not sampled) and
    `x-litellm-fusion-route-guardrail` (ok, the suspended deployments and why, or unavailable)."""
    deployments = entry.get("deployments") if isinstance(entry.get("deployments"), Mapping) else {}
    return {
        HEADER_PREFIX + "route-audit": "sampled" if entry.get("sampled") else "not sampled",
        HEADER_PREFIX + "route-guardrail": _header_value(guardrail_text(deployments, "deployment"), 500),
    }
