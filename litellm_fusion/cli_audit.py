"""`litellm-fusion audit --config config.yaml`: the current audit estimates per model and tier, from Redis.

Reads the proxy config for what is audited (cascades' earlier tiers, routed groups' cheaper deployments), where
Redis is (`router_settings` redis_host / redis_port / redis_password, else `litellm_settings.cache_params`, or
`--redis-url`) and the estimates' prefix and window (`litellm_fusion.audits`). No LiteLLM import: it runs next to
a proxy, or anywhere that reaches its Redis.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, TextIO

from .config.audit import AuditRunnerSettings
from .engine.audit.estimate import Tally, window

Arm = tuple[str, str, str]  # scope, arm (as stored), label shown


def _secret(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("os.environ/"):
        return os.environ.get(value.removeprefix("os.environ/"))
    return value


def redis_client(config: Mapping[str, Any], url: str | None) -> Any:
    import redis

    if url:
        return redis.Redis.from_url(url, socket_timeout=5)
    router = config.get("router_settings") or {}
    cache = (config.get("litellm_settings") or {}).get("cache_params") or {}
    host = _secret(router.get("redis_host") or cache.get("host"))
    if not host:
        raise SystemExit("no Redis in the config (router_settings.redis_host or cache_params.host); use --redis-url")
    return redis.Redis(
        host=str(host),
        port=int(_secret(router.get("redis_port") or cache.get("port") or 6379)),
        password=_secret(router.get("redis_password") or cache.get("password")),
        socket_timeout=5,
    )


def _strongest(deployments: list[Mapping[str, Any]]) -> str | None:
    from .routing.strengths import default_strength

    def strength(d: Mapping[str, Any]) -> float:
        given = (d.get("model_info") or {}).get("strength")
        model = str((d.get("litellm_params") or {}).get("model", ""))
        found = given if given is not None else default_strength(model)
        return float(found) if found is not None else float("-inf")

    best = max(deployments, key=strength, default=None)
    return None if best is None else str((best.get("litellm_params") or {}).get("model", ""))


def audited_arms(config: Mapping[str, Any]) -> list[Arm]:
    """Every audited arm of the config, in config order."""
    arms: list[Arm] = []
    model_list = [e for e in config.get("model_list") or [] if isinstance(e, Mapping)]
    for entry in model_list:
        params = entry.get("litellm_params") or {}
        if str(params.get("model", "")).startswith("fusion/") and params.get("audit") and params.get("tiers"):
            name = str(entry.get("model_name"))
            arms += [(name, f"tier:{t}", str(t)) for t in range(1, len(params["tiers"]))]
    routing = ((config.get("litellm_fusion") or {}).get("routing")) or {}
    for group, options in routing.items():
        if not (isinstance(options, Mapping) and options.get("audit")):
            continue
        deployments = [e for e in model_list if e.get("model_name") == group]
        top = _strongest(deployments)
        for d in deployments:
            model = str((d.get("litellm_params") or {}).get("model", ""))
            if model != top:
                arms.append((str(group), model, model))
    return list(dict.fromkeys(arms))


def read_tally(client: Any, prefix: str, scope: str, arm: str, days: list[str]) -> Tally:
    from .adapter.stores.redis_audit_store import bucket_key, tally_of

    total = Tally()
    for day in days:
        total = total + tally_of(client.hgetall(bucket_key(prefix, scope, arm, day)))
    return total


def audit_report(config: Mapping[str, Any], client: Any, now: float) -> list[dict[str, Any]]:
    settings = AuditRunnerSettings.model_validate((config.get("litellm_fusion") or {}).get("audits") or {})
    days = window(now, settings.window_days)
    rows = []
    for scope, arm, label in audited_arms(config):
        tally = read_tally(client, settings.prefix, scope, arm, days)
        found = tally.agreement()
        rows.append(
            {
                "model": scope,
                "tier": label,
                "window_days": settings.window_days,
                "audits": tally.decided + tally.undecided,
                **tally.as_metadata(),
                "interval": None if found is None else found.rounded(),
                "cost": round(tally.cost, 6),
            }
        )
    return rows


def print_report(rows: list[dict[str, Any]], out: TextIO, as_json: bool) -> None:
    if as_json:
        out.writelines(json.dumps(row) + "\n" for row in rows)
        return
    head = ("model", "tier", "audits", "agree", "disagree", "undecided", "agreement", "95% interval", "cost $")
    lines = [head]
    for r in rows:
        interval = "-" if r["interval"] is None else f"[{r['interval'][0]:.4f}, {r['interval'][1]:.4f}]"
        rate = "-" if "agreement" not in r else f"{r['agreement']:.4f}"
        lines.append(
            (
                r["model"],
                r["tier"],
                str(r["audits"]),
                str(r["agree"]),
                str(r["disagree"]),
                str(r["undecided"]),
                rate,
                interval,
                f"{r['cost']:.6f}",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    days = rows[0]["window_days"] if rows else 7
    out.write(f"audit estimates over the last {days} days (agreement among decided audits)\n")
    out.writelines(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() + "\n" for line in lines
    )


def run_audit_command(config_path: str, redis_url: str | None, as_json: bool, out: TextIO) -> int:
    import time

    import yaml

    with open(config_path, encoding="utf-8") as fh:
        config = yaml.safe_load(fh) or {}
    rows = audit_report(config, redis_client(config, redis_url), time.time())
    if not rows:
        out.write("no audited cascade or routed group in the config (audit: {rate: ...})\n")
        return 0
    print_report(rows, out, as_json)
    return 0
