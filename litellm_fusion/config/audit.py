"""Pydantic models of live audits: per cascade or routed group (`audit:`), and the process-wide runner settings.

```yaml
- model_name: fusion/cascade
  litellm_params:
    model: fusion/cascade
    tiers: [[gpt-4o-mini, gemini-flash], [gpt-4o]]
    audit: {rate: 0.05, max_disagreement: 0.03}   # judge: <model_name>, billing_key: <virtual key>
    learn: true
litellm_fusion:
  routing:
    auto: {mode: balanced, audit: {rate: 0.05}, learn: true}
  audits: {max_concurrent: 8, max_pending: 64, window_days: 7}   # optional, the defaults
```

An audit re-asks the top arm (a cascade's last tier, a routed group's strongest deployment) a sampled share of
the requests a cheaper arm answered, after the reply was sent, and compares the two answers (docs/audit.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditConfig(BaseModel):
    """`audit:` of a cascade fusion model or a routed group."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rate: float = Field(
        ge=0, le=1, description="share of the requests a cheaper arm answered that are re-asked of the top arm"
    )
    max_disagreement: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="guardrail: stop accepting from a cheaper arm while the lower bound of its audited "
        "disagreement rate's 95% Wilson interval is above this (see docs/audit.md); default: no guardrail",
    )
    judge: str | None = Field(
        default=None,
        description="model_name that decides free-form answers the agreement relation leaves undecided "
        "(pairwise, blind, A/B order random); it may not serve either audited arm",
    )
    billing_key: str | None = Field(
        default=None,
        description="a virtual key (or os.environ/NAME) audits are billed to; default: the audited request's own "
        "key, team and user",
    )
    timeout: float = Field(default=120.0, gt=0, description="seconds one audit (its calls and the judge) may take")


class AuditRunnerSettings(BaseModel):
    """`litellm_fusion.audits:` the background runner and the shared estimates of every audited model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_concurrent: int = Field(default=8, ge=1, description="audits running at once in one proxy worker")
    max_pending: int = Field(
        default=64, ge=1, description="audits running or waiting to run; beyond it a new audit is dropped (counted)"
    )
    window_days: int = Field(
        default=7, ge=1, le=90, description="the estimate covers the last N UTC days (today included)"
    )
    refresh_s: float = Field(default=5.0, gt=0, description="how old a replica's copy of the shared estimate may be")
    timeout_ms: int = Field(default=100, ge=1, description="bound on each Redis read/write")
    warn_interval_s: float = Field(
        default=60.0, gt=0, description="at most one 'Redis unavailable' warning per interval"
    )
    prefix: str = Field(default="litellm_fusion:audit:", min_length=1)


def _served_by(entries: Iterable[Mapping[str, Any]], model_name: str) -> set[str]:
    """The provider models a model_name's deployments call, with and without their provider prefix."""
    out: set[str] = set()
    for entry in entries:
        if not isinstance(entry, Mapping) or entry.get("model_name") != model_name:
            continue
        model = str((entry.get("litellm_params") or {}).get("model", ""))
        if model:
            out |= {model, model.split("/", 1)[-1]}
    return out


def judge_problems(
    where: str, audit: AuditConfig | None, arms: Iterable[str], entries: Iterable[Mapping[str, Any]]
) -> list[str]:
    """An audit judge must be a model_name of the config, and must serve neither audited arm (by model_name, or by
    the provider model its deployments call: a judge prefers its own answers)."""
    if audit is None or audit.judge is None:
        return []
    entries = list(entries)
    names = {str(e.get("model_name")) for e in entries if isinstance(e, Mapping)}
    judge = audit.judge
    if judge not in names:
        return [f"{where}.audit.judge: {judge!r} is not a model_name in model_list"]
    if any(
        e.get("model_name") == judge and str((e.get("litellm_params") or {}).get("model", "")).startswith("fusion/")
        for e in entries
        if isinstance(e, Mapping)
    ):
        return [f"{where}.audit.judge: {judge!r} is a fusion model; an audit judge must be a plain model_name"]
    judged = _served_by(entries, judge)
    for arm in arms:
        shared = judged & _served_by(entries, arm)
        if arm == judge or shared:
            how = "is" if arm == judge else f"calls the same model ({min(shared)}) as"
            why = "a judge scores its own answers higher, so it may serve neither arm (pick another model_name)"
            return [f"{where}.audit.judge: {judge!r} {how} the audited arm {arm!r}: {why}"]
    return []
