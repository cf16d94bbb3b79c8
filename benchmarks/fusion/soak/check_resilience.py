"""Checks 4 to 6, what the proxy survives: its resources stay flat and no fusion task is left behind (4), Redis
killed and restarted fails no request (5), clients that hang up cancel what they should and every dollar billed
is in a spend row (6)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from .evidence import Evidence
from .oracle import fusion_meta
from .report import SoakReport
from .workload import FUSION


def check_resources(report: SoakReport, state: dict[str, Any]) -> None:
    w, a, d = state["after_warmup"], state["after_run"], state["after_disconnects"]

    def rel(x: float, y: float) -> float:
        return (y - x) / x if x else (0.0 if y == x else float("inf"))

    report.check4 = {
        "pid": state["pid"],
        "rss_mb": (round(w["proc"]["rss_mb"], 1), round(a["proc"]["rss_mb"], 1), round(d["proc"]["rss_mb"], 1)),
        "sockets": (w["proc"]["sockets"], a["proc"]["sockets"], d["proc"]["sockets"]),
        "sockets_by_peer": (w["proc"]["by_peer"], a["proc"]["by_peer"], d["proc"]["by_peer"]),
        "fds": (w["proc"]["fds"], a["proc"]["fds"], d["proc"]["fds"]),
        "tasks": (w["probe"]["tasks"], a["probe"]["tasks"], d["probe"]["tasks"]),
        "fusion_tasks": (w["probe"]["fusion_tasks"], a["probe"]["fusion_tasks"], d["probe"]["fusion_tasks"]),
        "quiet": (w["probe"]["quiet"], a["probe"]["quiet"], d["probe"]["quiet"]),
        "top_tasks_after_run": a["probe"]["top_tasks"],
        "rss_growth": rel(w["proc"]["rss_mb"], a["proc"]["rss_mb"]),
        "socket_growth": rel(w["proc"]["sockets"], a["proc"]["sockets"]),
        "task_growth": rel(w["probe"]["tasks"], a["probe"]["tasks"]),
    }
    c4 = report.check4
    # a leak grows; fewer sockets after the run (idle pool connections closed) is not one
    c4["pass"] = (
        c4["rss_growth"] <= 0.10
        and c4["socket_growth"] <= 0.10
        and c4["task_growth"] <= 0.10
        and c4["fusion_tasks"][1] == 0
        and all(c4["quiet"][:2])
    )


def check_redis(report: SoakReport, evidence: Evidence, wrong_tags: set[str]) -> None:
    results, rows_by_id, state = report.results, evidence.rows_by_id, evidence.state
    ev = state["events"]
    kill, restart = ev.get("kill"), ev.get("restart")
    during, after_recovery = Counter(), Counter()
    failed_during: list[str] = []
    since_restart: dict[str, list[float]] = defaultdict(list)  # cache status -> seconds after the restart
    for r in results:
        if kill is None or restart is None or r.model not in FUSION:
            continue
        status = r.headers.get("x-litellm-fusion-judge-cache")
        if status is None and r.ok:
            rs = rows_by_id.get(str(r.response_id), [])
            status = (fusion_meta(rs[0]).get("judge") or {}).get("cache") if rs else None
        if r.ok and r.t_start > restart:
            since_restart[str(status)].append(r.t_start - restart)
        if r.t_end >= kill and r.t_start <= restart:
            if r.tag in wrong_tags or r.status == -1:  # wrong reply or hung (a documented 502 is not a failure)
                failed_during.append(r.tag)
            if r.ok:
                during[str(status)] += 1
        elif not r.ok:
            continue
        elif r.t_start > restart + 6 or (r.phase == "recovery" and r is results[-1]):  # skip window: 5 s
            after_recovery[str(status)] += 1
    report.check5 = {
        "outage_s": round(restart - kill, 2) if kill and restart else None,
        "cache_during_outage": dict(during),
        "cache_after_recovery": dict(after_recovery),
        "wrong_during_outage": failed_during,
        "first_miss_after_restart_s": round(min(since_restart["miss"]), 2) if since_restart["miss"] else None,
        "last_unavailable_after_restart_s": round(max(since_restart["unavailable"]), 2)
        if since_restart["unavailable"]
        else None,
        "pass": bool(kill and restart)
        and not failed_during
        and during.get("unavailable", 0) > 0
        and after_recovery.get("miss", 0) > 0,
    }


def check_disconnects(report: SoakReport, state: dict[str, Any]) -> None:
    def dc_ok(d: dict[str, Any]) -> bool:
        return d["slow_cancelled"] and not d["judge_called"] and d["quiet"]

    dcs, dcs_on = state["disconnects"], state["disconnects_cancel_on"]
    report.check6 = {
        "requests": len(dcs) + len(dcs_on),
        "details": dcs,
        "details_cancel_on": dcs_on,
        "default_stream_pass": all(dc_ok(d) for d in dcs if d["stream"]),
        "default_nonstream_pass": all(dc_ok(d) for d in dcs if not d["stream"]),
        "cancel_on_pass": bool(dcs_on) and all(dc_ok(d) for d in dcs_on),
        # what the upstream billed for the abandoned requests that no spend row charges (both proxies)
        "billed_unrecorded": sum(d["billed"] for d in dcs + dcs_on)
        - sum(float(r.get("spend") or 0) for r in state["disconnect_rows"] + state["disconnect_rows_cancel_on"]),
        # default config, non-streaming: the request ran to the end for nobody; what LiteLLM logged for it
        "rows_for_abandoned": [(r.get("status"), float(r.get("spend") or 0)) for r in state["disconnect_rows"]],
        "billed_abandoned_not_cancelled": sum(d["billed"] for d in dcs if not d["slow_cancelled"]),
    }
    c6 = report.check6
    # Documented (README): without cancel_on_disconnect LiteLLM runs a non-streaming request to the end.
    c6["pass"] = bool(dcs) and c6["cancel_on_pass"] and abs(c6["billed_unrecorded"]) < 1e-9
