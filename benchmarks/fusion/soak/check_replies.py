"""Checks 1 and 2: every reply is the oracle's answer or the documented 502 and none hangs; headers and the
spend row's `fusion` metadata agree with what the upstream saw."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .evidence import Evidence
from .oracle import fusion_meta, ok_call, oracle
from .report import SoakReport
from .workload import DEADLINE, MARGIN, PANEL, billed


@dataclass
class ReplyFindings:
    """What checks 1 and 2 found that the later checks use."""

    wrong_tags: set[str]  # requests with a wrong reply
    late: list[str]  # member calls the upstream completed that fusion recorded as failed
    cost_header_mismatch: list[str]
    billed_ok: float  # what the upstream billed for answered requests
    billed_failed: float  # ... and for requests that failed


def check_replies(report: SoakReport, evidence: Evidence) -> ReplyFindings:
    results, c = report.results, report.counts
    by_tag, rows_by_id, upstream, faults = evidence.by_tag, evidence.rows_by_id, evidence.upstream, evidence.faults
    wrong: list[str] = []
    meta_bad: list[str] = []
    outcomes: Counter[str] = Counter()
    late: list[str] = []
    expected_502 = 0
    hung = [r.tag for r in results if r.latency > DEADLINE + MARGIN or r.status == -1]
    billed_ok = billed_failed = 0.0
    cost_header_mismatch: list[str] = []
    for r in results:
        calls = by_tag.get(r.tag, [])
        money = sum(billed(upstream, s) for s in calls)
        if r.ok:
            billed_ok += money
        else:
            billed_failed += money
        if r.model in ("plain", "auto"):
            served = [s for s in calls if ok_call(s)]
            if len(calls) != 1 or len(served) != 1:
                wrong.append(f"{r.tag} {r.model}: upstream calls {[(s.model, s.status) for s in calls]}")
                continue
            want = f"plain {r.tag}" if r.model == "plain" else f"{served[0].model} {r.tag}"
            if not r.ok or r.content != want:
                wrong.append(f"{r.tag} {r.model}: got {r.content!r} / {r.error}, want {want!r}")
            if (
                r.model == "auto"
                and not r.stream
                and r.headers.get("x-litellm-fusion-route-deployment") != f"openai/{served[0].model}"
            ):
                meta_bad.append(
                    f"{r.tag}: route header {r.headers.get('x-litellm-fusion-route-deployment')} vs {served[0].model}"
                )
            continue
        exp = oracle(r.model, calls, faults)
        if exp.problems:
            wrong.extend(f"{r.tag}: {p}" for p in exp.problems)
        if exp.error:
            expected_502 += 1
            if r.ok or r.status != 502 or not all(m in (r.error or "") for m in exp.failed_members):
                wrong.append(
                    f"{r.tag} {r.model}: want 502 naming {exp.failed_members}, got {r.status} {(r.error or r.content or '')[:200]}"
                )
            continue
        outcomes[f"{r.model.split('/')[1]}:{exp.outcome}"] += 1
        if not r.ok or r.content != exp.answer:
            wrong.append(
                f"{r.tag} {r.model}{' stream' if r.stream else ''}: got {r.content!r} / {r.status} {(r.error or '')[:200]}, want {exp.answer!r}"
            )
            continue
        # check 2: metadata vs the upstream
        h = r.headers
        if not r.stream:
            got = (
                h.get("x-litellm-fusion-answered"),
                h.get("x-litellm-fusion-judge"),
                h.get("x-litellm-fusion-rounds"),
            )
            want = (str(exp.answered), exp.outcome, str(exp.rounds))
            if got != want:
                meta_bad.append(f"{r.tag}: headers answered/judge/rounds {got} != upstream {want}")
            dropped = h.get("x-litellm-fusion-dropped", "")
            if sorted(m for m in PANEL if f"{m}(r1)" in dropped) != sorted(exp.failed_members):
                meta_bad.append(f"{r.tag}: dropped header {dropped!r} vs upstream failures {exp.failed_members}")
        found = rows_by_id.get(str(r.response_id), [])
        if len(found) != 1:
            meta_bad.append(f"{r.tag}: {len(found)} spend rows for {r.response_id}")
            continue
        row = found[0]
        fm = fusion_meta(row)
        members = sorted((m["model"], m["round"], bool(m["ok"])) for m in fm.get("members", []))
        if members != sorted(exp.member_calls):
            # a member the upstream answered (200) that fusion recorded as failed = a late completion
            for model, rnd, ok_up in exp.member_calls:
                if ok_up and (model, rnd, False) in members:
                    late.append(f"{r.tag}:{model}:r{rnd}")
            meta_bad.append(f"{r.tag}: spend metadata members {members} != upstream {sorted(exp.member_calls)}")
        if (fm.get("judge") or {}).get("outcome") != exp.outcome:
            meta_bad.append(f"{r.tag}: spend metadata judge {(fm.get('judge') or {}).get('outcome')} != {exp.outcome}")
        if not r.stream:
            header_cost = float(h.get("x-litellm-response-cost", "nan"))
            if abs(header_cost - float(row["spend"])) > 1e-12:
                cost_header_mismatch.append(f"{r.tag}: header {header_cost} row {row['spend']}")
    wrong_tags = {w.split(" ")[0].rstrip(":") for w in wrong}
    report.check1 = {
        "wrong": wrong,
        "hung": hung,
        "expected_502": expected_502,
        "outcomes": dict(outcomes),
        "latency_max_s": c["latency_max_s"],
        "limit_s": DEADLINE + MARGIN,
        "pass": not wrong and not hung,
    }
    report.check2 = {"mismatches": meta_bad, "pass": not meta_bad}
    return ReplyFindings(wrong_tags, late, cost_header_mismatch, billed_ok, billed_failed)
