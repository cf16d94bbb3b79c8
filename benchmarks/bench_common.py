"""Shared pieces of the benchmarks: the fake upstream in its own process, percentiles."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent.parent / "tests" / "support"


@contextmanager
def upstream_process(behaviours: dict[str, dict[str, Any]]) -> Iterator[str]:
    """The fake upstream in a process of its own (no GIL shared with the client); yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_upstream", json.dumps(behaviours)],
        cwd=TESTS.parents[1],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield f"http://127.0.0.1:{int(proc.stdout.readline())}/v1"  # type: ignore[union-attr]
    finally:
        proc.stdin.close()  # type: ignore[union-attr]
        proc.wait(10)


def first_text(raw: str) -> str:
    """RouterBench stores prompts and responses as Python-list strings: the first element."""
    import ast

    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return raw
    return str(value[0]) if isinstance(value, list) and value else str(value)


def ms_cell(value: float | None) -> str:
    """A milliseconds table cell: two decimals, or '-' for a model without the figure."""
    return "-" if value is None else f"{value:.2f}"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@contextmanager
def plugin_at(rev: str) -> Iterator[Path]:
    """litellm_fusion as it was at git revision `rev`, unpacked into a temporary folder; put the folder first on a
    proxy's PYTHONPATH to run that version (a proxy runs outside the repo, so it wins over the editable install)."""
    import io
    import tarfile
    import tempfile

    repo = Path(__file__).resolve().parent.parent
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", rev, "litellm_fusion"], capture_output=True, check=True
    )
    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(folder, filter="data")
        yield Path(folder)
