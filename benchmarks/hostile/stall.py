"""The longest event-loop stall caused by plugin code across the hostile-input tier (issue 22; goal < 50 ms).

Runs the tier's proxy tests (tests/hostile: adversarial member, judge and verifier answers, malformed requests on every
endpoint, the mixed concurrent burst) against a real proxy that carries the loop-lag probe
(tests/support/plugins/loop_lag.py): a task on the proxy's loop that sleeps 2 ms at a time and measures how late it
wakes, and a watchdog thread that samples the loop thread's stack while it is late. Each stall of 10 ms or more is
attributed by the innermost frame outside the standard library: litellm_fusion code (split into the answer
extraction of engine/answers, issue 20, and the rest), or LiteLLM and other libraries.

    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python -m benchmarks hostile stall
    ... --results benchmarks/RESULTS.md   # also append the summary to RESULTS.md
    ... -- -k "not burst"                 # arguments after -- go to pytest
    ... --parsers                         # only time the readers in-process on the issue's inputs (no proxy)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = "engine/answers"


def run_tier(pytest_args: list[str]) -> tuple[dict[str, Any], str]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "loop_lag.json"
        env = {**os.environ, "FUSION_LOOP_LAG_REPORT": str(report), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/hostile"]
        argv += [
            "--deselect",
            "tests/hostile/test_hostile_parsers.py",
            "--deselect",
            "tests/hostile/test_hostile_request_fields.py",
        ]
        argv += ["--basetemp", f"{tmp}/pytest", *pytest_args]
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        if not report.exists():
            raise SystemExit(f"the tier wrote no loop-lag report:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        lines = done.stdout.strip().splitlines()
        failed = [line for line in lines if line.startswith(("FAILED", "ERROR"))]
        return json.loads(report.read_text()), "\n".join([lines[-1], *failed])


def summary(report: dict[str, Any], outcome: str) -> str:
    areas = report["max_plugin_stall_ms_by_area"]
    rest = max((ms for area, ms in areas.items() if area != ANSWERS), default=0.0)
    lines = [
        f"tier: {outcome}",
        f"loop wake-ups sampled: {report['wakeups']}",
        f"longest stall, any code: {report['max_lag_ms']:.1f} ms",
        f"longest stall attributed to plugin code: {report['max_plugin_stall_ms']:.1f} ms",
        f"  outside engine/answers (this issue's readers, handler, routing hook, prompts): {rest:.1f} ms",
        f"  in engine/answers (answer extraction, issue 20): {areas.get(ANSWERS, 0.0):.1f} ms",
        "longest plugin share of a stall, by part of the plugin: "
        + (", ".join(f"{a} {ms:.1f} ms" for a, ms in areas.items()) or "none"),
        "",
        "Longest stalls (any code):",
        "",
        "| stall ms | plugin ms | plugin frames (innermost fusion frame, in: innermost frame) | other frames |",
        "|---:|---:|---|---|",
    ]
    for s in report["stalls"][:8]:
        plugin = "; ".join(s["plugin_frames"][:3]) or "-"
        other = "; ".join(s["other_frames"][:3]) or "-"
        lines.append(f"| {s['lag_ms']:.1f} | {s['plugin_ms']:.1f} | {plugin} | {other} |")
    lines += [
        "",
        "Stalls with the largest plugin share outside engine/answers:",
        "",
        "| plugin ms (outside engine/answers) | stall ms | frames |",
        "|---:|---:|---|",
    ]
    for s in report["plugin_stalls_outside_answers"][:8]:
        lines.append(f"| {s['own_ms']:.1f} | {s['lag_ms']:.1f} | {'; '.join(s['frames'][:3])} |")
    return "\n".join(lines)


PARSER_INPUTS = {
    "200 KB of '{'": "{" * 200_000,
    "'{\"answer\":' x 100,000 (1 MB)": '{"answer":' * 100_000,
    "'[' x 100,000": "[" * 100_000,
    '\'{"a":"\' x 16,000': '{"a":"' * 16_000,
    "'{\"winner\":' x 20,000 (200 KB)": '{"winner":' * 20_000,
    '\'{"winner": 1, "score": 2}\' x 8,000 (200 KB)': '{"winner": 1, "score": 2}' * 8_000,
    "1 MB of prose, then a verdict": "Reasoning. " * 95_000 + '{"winner": 2, "score": 7, "reason": "r"}',
    "'\\boxed{' x 100,000 (700 KB)": "\\boxed{" * 100_000,
    "'<answer>' x 100,000 (800 KB)": "<answer>" * 100_000,
    "'Option B is correct.' x 50,000 (1 MB)": "Option B is correct.\n" * 50_000,
}


def time_parsers() -> str:
    """Each reader on each input, in this process: best of 3 (once when a run takes over a second)."""
    import time

    from litellm_fusion.engine.answers.extract import extract
    from litellm_fusion.engine.records import ToolCall
    from litellm_fusion.engine.verdict import parse_score, parse_verdict

    readers = {
        "parse_verdict": lambda text: parse_verdict(text, 3),
        "parse_score": parse_score,
        "tool arguments": lambda text: ToolCall("c", "f", text).parsed_arguments(),
        "answer extraction": extract,  # engine/answers: a member's final answer, for agreement
    }
    lines = ["| input | " + " | ".join(readers) + " |", "|---|" + "---:|" * len(readers)]
    for name, text in PARSER_INPUTS.items():
        cells = []
        for read in readers.values():
            best = float("inf")
            for _ in range(3):
                started = time.perf_counter()
                try:
                    read(text)
                except Exception as exc:  # noqa: BLE001 - what it raises is part of the result
                    outcome = type(exc).__name__
                else:
                    outcome = "ok"
                best = min(best, time.perf_counter() - started)
                if best > 1.0:
                    break
            cells.append(f"{best * 1000:.1f} ms ({outcome})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, help="append the summary to this RESULTS.md")
    parser.add_argument("--parsers", action="store_true", help="only time the readers in-process")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    if args.parsers:
        text = time_parsers()
    else:
        report, outcome = run_tier(args.pytest_args)
        text = summary(report, outcome)
    print(text)
    if args.results:
        with args.results.open("a", encoding="utf-8") as out:
            out.write("\n" + text + "\n")


if __name__ == "__main__":
    main()
