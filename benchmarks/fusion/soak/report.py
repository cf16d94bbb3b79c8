"""The soak's report: what a run found (one dict per check), its summary table, and its section of RESULTS.md."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .client import Result
from .workload import DEADLINE, MARGIN


@dataclass
class SoakReport:
    n: int
    concurrency: int
    seed: int
    seconds: float = 0.0
    counts: dict[str, Any] = field(default_factory=dict)
    check1: dict[str, Any] = field(default_factory=dict)
    check2: dict[str, Any] = field(default_factory=dict)
    check3: dict[str, Any] = field(default_factory=dict)
    check4: dict[str, Any] = field(default_factory=dict)
    check5: dict[str, Any] = field(default_factory=dict)
    check6: dict[str, Any] = field(default_factory=dict)
    results: list[Result] = field(default_factory=list)


def summary(rep: SoakReport) -> str:
    c, c1, c2, c3, c4, c5, c6 = rep.counts, rep.check1, rep.check2, rep.check3, rep.check4, rep.check5, rep.check6
    mark = lambda ok: "PASS" if ok else "FAIL"

    def dc(ds: list[dict[str, Any]]) -> str:
        return (
            f"{sum(d['slow_cancelled'] for d in ds)}/{len(ds)} slow calls cancelled, judge called "
            f"{sum(d['judge_called'] for d in ds)}x, slow call ran {[d['slow_ran_s'] for d in ds]} s"
        )

    lines = [
        (
            f"Soak: {c['requests']} requests (+{c6['requests']} abandoned), concurrency {rep.concurrency}, seed {rep.seed}, "
            f"{rep.seconds:.0f} s total; {c['streaming']} streaming; by model {c['by_model']}"
        ),
        (
            f"Replies: {c['ok']} answered, errors {c['errors']}; upstream calls {c['upstream_calls']} by status "
            f"{c['upstream_calls_by_status']}; client latency p50 {c['latency_p50_s']} s, max {c['latency_max_s']} s; "
            f"{c['throughput_rps']} req/s"
        ),
        "",
        "| # | check | result | numbers |",
        "|---|---|---|---|",
        (
            f"| 1 | replies = oracle or documented 502; none hung | {mark(c1['pass'])} | {len(c1['wrong'])} wrong, "
            f"{len(c1['hung'])} over {c1['limit_s']:.0f} s (deadline {DEADLINE:g} + {MARGIN:g}); max {c1['latency_max_s']} s; "
            f"502 as expected: {c1['expected_502']}; judge outcomes {c1['outcomes']} |"
        ),
        (
            f"| 2 | headers + spend metadata = upstream | {mark(c2['pass'])} | {len(c2['mismatches'])} mismatches "
            f"(answered, dropped, per-call ok per round, judge outcome, rounds) |"
        ),
        (
            f"| 3 | spend conservation | {mark(c3['pass'])} | spend rows ${c3['spend_rows_sum']:.6f} (streams "
            f"${c3['stream_rows_sum']:.6f}); Prometheus key delta ${c3['prometheus_key_delta']:.6f}; upstream billed "
            f"${c3['upstream_billed_answered']:.6f}; diffs rows-prom {c3['diff_rows_vs_prometheus']:.3e}, rows-upstream "
            f"{c3['diff_rows_vs_upstream']:.3e}; cost header = row for every non-stream reply: "
            f"{len(c3['cost_header_mismatches'])} mismatches; late completions {len(c3['late_completions'])}; "
            f'inner-call rows {c3["inner_call_rows"]}; hashed_api_key="None" series: {c3["none_key_series"]} |'
        ),
        (
            f"| 3b | billed for failed (502) requests | "
            f"{mark(abs(c3['failed_requests_charged'] - c3['upstream_billed_failed_requests']) < 1e-9)} | "
            f"upstream billed ${c3['upstream_billed_failed_requests']:.6f} for {c1['expected_502']} failed requests; "
            f"charged ${c3['failed_requests_charged']:.6f} ({c3['rows_not_for_answered_requests']} failure rows, whose "
            f"fusion metadata names ${c3['failure_rows_metadata_cost']:.6f}) |"
        ),
        (
            f"| 4 | resources: after warm-up / after run / after disconnects | {mark(c4['pass'])} | RSS MB {c4['rss_mb']} "
            f"({c4['rss_growth']:+.1%}); sockets {c4['sockets']} ({c4['socket_growth']:+.1%}) by peer after run "
            f"{c4['sockets_by_peer'][1]}; fds {c4['fds']}; "
            f"asyncio tasks {c4['tasks']} ({c4['task_growth']:+.1%}); fusion tasks {c4['fusion_tasks']} (pid {c4['pid']}) |"
        ),
        (
            f"| 5 | Redis SIGKILLed and restarted | {mark(c5['pass'])} | outage {c5['outage_s']} s; judge cache during "
            f"outage {c5['cache_during_outage']}, after recovery (restart + 6 s on) {c5['cache_after_recovery']}; after the "
            f"restart: first miss at +{c5['first_miss_after_restart_s']} s, last unavailable at "
            f"+{c5['last_unavailable_after_restart_s']} s; wrong or hung during outage {len(c5['wrong_during_outage'])} |"
        ),
        (
            f"| 6a | disconnect, streaming (default config; LiteLLM >= 1.108 reads the first chunk inside the routed call, "
            f"so it runs to its first chunk, as documented) | "
            f"{'cancelled' if c6['default_stream_pass'] else 'ran to the first chunk'} | "
            f"{dc([d for d in c6['details'] if d['stream']])} |"
        ),
        (
            f"| 6b | disconnect, non-streaming, without cancel_on_disconnect (documented: runs to the end) | "
            f"{'cancelled' if c6['default_nonstream_pass'] else 'ran to the end'} | "
            f"{dc([d for d in c6['details'] if not d['stream']])}; upstream billed "
            f"${c6['billed_abandoned_not_cancelled']:.6f} for them; spend rows LiteLLM wrote for the abandoned requests "
            f"(status, $): {c6['rows_for_abandoned']} |"
        ),
        (
            f"| 6c | disconnect with general_settings.cancel_on_disconnect: true (both kinds) | {mark(c6['cancel_on_pass'])} | "
            f"{dc(c6['details_cancel_on'])} |"
        ),
        (
            f"| 6d | every abandoned request: billed by the upstream but in no spend row | "
            f"{mark(abs(c6['billed_unrecorded']) < 1e-9)} | ${c6['billed_unrecorded']:.6f} (billed "
            f"${sum(d['billed'] for d in c6['details'] + c6['details_cancel_on']):.6f}) |"
        ),
    ]
    for title, items in (
        ("wrong replies", c1["wrong"]),
        ("hung", c1["hung"]),
        ("metadata mismatches", c2["mismatches"]),
        ("late completions", c3["late_completions"]),
        ("cost header mismatches", c3["cost_header_mismatches"]),
    ):
        if items:
            lines.append(f"\n{title} ({len(items)}), first 10:\n  " + "\n  ".join(items[:10]))
    return "\n".join(lines)


def write_results(path: Path, rep: SoakReport, command: str) -> None:
    header = "## Soak and faults (issue 5)"
    text = path.read_text()
    if header in text:  # replace only our own section (it is the last one)
        before, _, rest = text.partition(header)
        nxt = rest.find("\n## ")
        text = before.rstrip() + "\n" + (rest[nxt:] if nxt >= 0 else "")
    section = (
        f"\n\n{header}\n\nCommand (2 cores; {rep.seconds / 60:.1f} minutes):\n\n```bash\n{command}\n```\n\n"
        f"What it does and how each check is computed: the docstring of `benchmarks/fusion/soak/__init__.py`; the short version "
        f"(200 requests, concurrency 16) runs in the test suite as `tests/proxy/test_soak.py`.\n\n"
        f"Latest run ({time.strftime('%Y-%m-%d')}):\n\n{summary(rep)}\n"
    )
    path.write_text(text.rstrip() + section)
