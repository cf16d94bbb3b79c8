#!/usr/bin/env bash
# Create ./.venv (Python 3.11+) and install litellm-fusion with its test extras. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# Quiet on success; the full pip output is shown if anything fails.
log=.venv/setup.log
{ .venv/bin/python -m pip install --upgrade pip && .venv/bin/python -m pip install -e ".[test]"; } > "$log" 2>&1 \
  || { cat "$log"; echo "setup failed (log: $log)" >&2; exit 1; }
