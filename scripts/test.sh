#!/usr/bin/env bash
# Set up and run the whole test suite (unit tests, real-proxy integration tests). CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Integration tests use a real redis-server (Debian package).
if ! command -v redis-server >/dev/null 2>&1; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq redis-server >/dev/null
fi
export LITELLM_LOCAL_MODEL_COST_MAP=True
exec .venv/bin/python -m pytest -q "$@"
