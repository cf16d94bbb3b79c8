"""Processes a benchmark starts besides the proxy: the fake upstream in a process of its own, and the plugin as it
was at another git revision (to compare two versions)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .paths import REPO


@contextmanager
def upstream_process(behaviours: dict[str, dict[str, Any]]) -> Iterator[str]:
    """The fake upstream in a process of its own (no GIL shared with the client); yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_upstream", json.dumps(behaviours)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield f"http://127.0.0.1:{int(proc.stdout.readline())}/v1"  # type: ignore[union-attr]
    finally:
        proc.stdin.close()  # type: ignore[union-attr]
        proc.wait(10)


@contextmanager
def plugin_at(rev: str) -> Iterator[Path]:
    """litellm_fusion as it was at git revision `rev`, unpacked into a temporary folder; put the folder first on a
    proxy's PYTHONPATH to run that version (a proxy runs outside the repo, so it wins over the editable install)."""
    import io
    import tarfile
    import tempfile

    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", rev, "litellm_fusion"], capture_output=True, check=True
    )
    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(folder, filter="data")
        yield Path(folder)
