"""Check 3: spend is conserved (spend rows == Prometheus delta for the caller's key == what the upstream billed),
cost headers equal their rows, and inner calls are never counted."""

from __future__ import annotations

from tests.support.helpers import metric_samples, metric_sum

from .check_replies import ReplyFindings
from .evidence import Evidence
from .oracle import fusion_meta
from .report import SoakReport
from .workload import INNER


def check_spend(report: SoakReport, evidence: Evidence, found: ReplyFindings) -> None:
    results, rows, rows_by_id, state = report.results, evidence.rows, evidence.rows_by_id, evidence.state
    late, cost_header_mismatch = found.late, found.cost_header_mismatch
    billed_ok, billed_failed = found.billed_ok, found.billed_failed
    answered_ids = {str(r.response_id) for r in results if r.ok}
    row_sum = sum(float(r["spend"]) for rid, rs in rows_by_id.items() if rid in answered_ids for r in rs)
    rows_outside = [r for rid, rs in rows_by_id.items() if rid not in answered_ids for r in rs]
    header_sum = sum(float(r.headers.get("x-litellm-response-cost", 0)) for r in results if r.ok and not r.stream)
    before, after = state["metrics_before"], state["metrics_after"]
    key_hash = "litellm_proxy_master_key"  # how LiteLLM labels the master key (the caller here)
    keys = {l.get("hashed_api_key") for l, _ in metric_samples(after, "litellm_spend_metric_total")}
    prom_delta = metric_sum(after, "litellm_spend_metric_total", hashed_api_key=key_hash) - metric_sum(
        before, "litellm_spend_metric_total", hashed_api_key=key_hash
    )
    prom_total_delta = metric_sum(after, "litellm_spend_metric_total") - metric_sum(
        before, "litellm_spend_metric_total"
    )
    inner_rows = [r for r in rows if r.get("model_group") in INNER]
    report.check3 = {
        "spend_rows_sum": row_sum,
        "stream_rows_sum": sum(
            float(r["spend"]) for x in results if x.ok and x.stream for r in rows_by_id.get(str(x.response_id), [])
        ),
        "cost_headers_sum_nonstream": header_sum,
        "cost_header_mismatches": cost_header_mismatch,
        "prometheus_key_delta": prom_delta,
        "prometheus_total_delta": prom_total_delta,
        "upstream_billed_answered": billed_ok,
        "upstream_billed_failed_requests": billed_failed,
        "diff_rows_vs_prometheus": row_sum - prom_delta,
        "diff_rows_vs_upstream": row_sum - billed_ok,
        "late_completions": late,
        "rows_not_for_answered_requests": len(rows_outside),
        "rows_not_for_answered_requests_spend": sum(float(r["spend"]) for r in rows_outside),
        "failure_rows_metadata_cost": sum(float(fusion_meta(r).get("cost") or 0) for r in rows_outside),
        "inner_call_rows": len(inner_rows),
        "prometheus_keys": sorted(str(k) for k in keys),
        "none_key_series": "None" in keys,
        "key_hash_found": key_hash in keys,
    }
    c3 = report.check3
    c3["pass"] = (
        abs(c3["diff_rows_vs_prometheus"]) < 0.005
        and abs(c3["diff_rows_vs_upstream"]) < 0.005
        and abs(prom_total_delta - prom_delta) < 1e-9
        and not cost_header_mismatch
        and not late
        and not inner_rows
        and not c3["none_key_series"]
        and c3["key_hash_found"]
    )
    c3["failed_requests_charged"] = c3["rows_not_for_answered_requests_spend"]
