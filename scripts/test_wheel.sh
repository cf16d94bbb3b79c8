#!/usr/bin/env bash
# The install path of docs/install.md, as an operator follows it: build this checkout's wheel (python -m build
# --wheel), install it into a fresh venv next to litellm[proxy] (the version the main pass runs; pip's cache makes
# that quick), start a proxy from the README's own config lines against the fake upstream and send one fusion
# request through it (scripts/wheel_check.py checks the answer and the cost). scripts/test.sh runs it in the
# background during the main pass; alone: `bash scripts/test_wheel.sh` (after scripts/setup.sh). Quiet on success;
# the whole log is in .venv-wheel/wheel.log and is shown when it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
work=.venv-wheel
log=$work/wheel.log
mkdir -p "$work"
rm -rf "$work/src" "$work/dist" "$work/venv"  # fresh every run
litellm=$(.venv/bin/python -c "import importlib.metadata as m; print(m.version('litellm'))")
# Built from a copy of what the wheel holds: scripts/test.sh's other setup steps write build files into this tree.
mkdir -p "$work/src"
cp -r pyproject.toml README.md LICENSE litellm_fusion "$work/src/"
find "$work/src" -name __pycache__ -prune -exec rm -rf {} +
if ! {
  .venv/bin/python -m build --wheel --outdir "$work/dist" "$work/src" \
    && "$PY" -m venv "$work/venv" \
    && "$work/venv/bin/python" -m pip install --upgrade pip \
    && "$work/venv/bin/python" -m pip install "$work"/dist/*.whl "litellm[proxy]==$litellm" \
    && .venv/bin/python -m scripts.wheel_check "$work/venv"
} > "$log" 2>&1; then
  cat "$log"
  echo "wheel check failed (log: $log)" >&2
  exit 1
fi
tail -n 1 "$log"
