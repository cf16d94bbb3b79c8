"""Where things are: the repository, its test harnesses, and the recorded answers (../shared/data)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = REPO / "benchmarks"
TEST_PLUGINS = REPO / "tests" / "support" / "plugins"  # LiteLLM callbacks the test proxies load (spend_capture)
DATA = REPO.parent / "shared" / "data"  # recorded answers of real models (read its README)
