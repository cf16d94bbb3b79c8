"""`python -m benchmarks <area> <question> [args]`: run one benchmark; `python -m benchmarks [area]` lists them.
`python -m benchmarks <area> <question> --help` shows the benchmark's own arguments."""

from __future__ import annotations

import importlib
import sys

# area -> question -> (module with `main(argv)`, what it answers)
QUESTIONS: dict[str, dict[str, tuple[str, str]]] = {
    "answers": {
        "agreement": ("benchmarks.answers.agreement", "agreement recall and precision per format and family, and time"),
    },
    "audit": {
        "stream": ("benchmarks.audit.stream", "live audits on replayed streams: estimate vs truth, coverage, latency"),
    },
    "hostile": {
        "stall": (
            "benchmarks.hostile.stall",
            "the longest event-loop stall plugin code causes across the hostile tier",
        ),
    },
    "learning": {
        "stream": ("benchmarks.learning.stream", "learned skips and routing on leave-one-family-out streams (proxy)"),
        "mixed": ("benchmarks.learning.mixed_offline", "the learned routed estimate on the 17-family mixed workload"),
    },
    "budgets": {
        "reservation": ("benchmarks.budgets.reservation", "what reserving a request's worst case costs (in-process)"),
    },
    "cascade": {
        "replay": ("benchmarks.cascade.replay", "cascades through a real proxy on recorded answers, vs baselines"),
        "shortfalls": ("benchmarks.cascade.shortfalls", "why cascades fall short where they do (offline)"),
        "agreement": ("benchmarks.cascade.agreement", "the answer normaliser on recorded answers"),
        "latency": ("benchmarks.cascade.latency", "cascade latency through a real proxy vs the ideal"),
        "timeline": ("benchmarks.cascade.timeline", "where a cascade's time goes inside the proxy"),
        "ab": ("benchmarks.cascade.ab", "two versions of the plugin side by side (--base REV)"),
    },
    "routing": {
        "eval": ("benchmarks.routing.evaluation", "RouterBench pool, modes, classifier latency"),
        "generalisation": ("benchmarks.routing.generalisation", "unseen task families, the mixed workload"),
        "ablations": ("benchmarks.routing.ablations", "design alternatives, on training items only"),
        "filter": ("benchmarks.routing.filter_cost", "the routing hook's own time per request (in-process)"),
    },
    "fusion": {
        "overhead": ("benchmarks.fusion.overhead", "the plugin's own time per fusion request"),
        "streaming": ("benchmarks.fusion.streaming", "time to first and last token, streamed or not"),
        "judge-cache": ("benchmarks.fusion.judge_cache", "the Redis judge cache: hits, latency, cost"),
        "quorum": ("benchmarks.fusion.quorum", "quorum and straggler cutoff"),
        "agreement": ("benchmarks.fusion.agreement", "the agreement short-circuit on recorded answers"),
        "gated": ("benchmarks.fusion.gated", "complexity-gated fusion on recorded answers"),
        "soak": ("benchmarks.fusion.soak", "mixed load with injected faults: replies, spend, resources"),
    },
}


def listing(areas: list[str]) -> str:
    lines = ["usage: python -m benchmarks <area> <question> [args]   (results: benchmarks/RESULTS.md)"]
    for area in areas:
        lines.append(f"\n{area}:")
        lines += [f"  {q:<15} {what}" for q, (_, what) in QUESTIONS[area].items()]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(listing(list(QUESTIONS)))
        return 0
    area, *rest = argv
    if area not in QUESTIONS:
        print(f"unknown area {area!r}\n\n{listing(list(QUESTIONS))}", file=sys.stderr)
        return 2
    if not rest or rest[0] in ("-h", "--help"):
        print(listing([area]))
        return 0
    question, *args = rest
    if question not in QUESTIONS[area]:
        print(f"unknown question {question!r} in {area}\n\n{listing([area])}", file=sys.stderr)
        return 2
    module = importlib.import_module(QUESTIONS[area][question][0])
    sys.argv = [f"python -m benchmarks {area} {question}", *args]  # argparse's prog in usage and errors
    module.main(args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
