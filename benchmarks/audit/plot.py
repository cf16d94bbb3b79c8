"""The plot of benchmarks/audit_stream.py: per family the audit estimate, its interval and the truth; p50 latency."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def plot_runs(
    runs: list[tuple[str, list[dict[str, Any]]]], latency: list[tuple[str, float, float]], path: Path
) -> None:
    """`runs`: each run's name and its per-window table; `latency`: per run, a short name and the p50 reply latency
    (ms) at audit rate 0 and 0.2."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(runs) + 1, figsize=(4 * (len(runs) + 1), 3.6))
    for ax, (name, table) in zip(axes, runs, strict=False):
        rows = [r for r in table if r["estimate"] is not None]
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("requests", fontsize=8)
        if not rows:
            ax.text(0.5, 0.5, "no tier-1 acceptances:\nnothing to audit", ha="center", va="center", fontsize=8)
            continue
        x = [r["requests"] for r in rows]
        ax.fill_between(
            x, [r["estimate"].low for r in rows], [r["estimate"].high for r in rows], alpha=0.25, label="95% interval"
        )
        ax.plot(x, [r["estimate"].rate for r in rows], "o-", label="audit estimate")
        ax.plot(x, [r["truth_audited"] for r in rows], "x", color="k", label="truth, audited")
        ax.plot(x, [r["truth_all"] for r in rows], "--", color="gray", label="truth, all accepted")
        ax.set_ylim(0.5, 1.0)
    axes[0].set_ylabel("agreement with the last tier", fontsize=8)
    axes[0].legend(fontsize=7, loc="lower right")
    ax = axes[-1]
    names, p0, p2 = zip(*latency, strict=True) if latency else ((), (), ())
    idx = range(len(runs))
    ax.bar([i - 0.2 for i in idx], p0, 0.4, label="rate 0")
    ax.bar([i + 0.2 for i in idx], p2, 0.4, label="rate 0.2")
    ax.set_xticks(list(idx), list(names), fontsize=7)
    ax.set_title("p50 reply latency (ms)", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot: {os.path.relpath(path, Path(__file__).resolve().parents[2])}")
