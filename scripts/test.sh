#!/usr/bin/env bash
# Set up and run the whole test suite (unit tests, real-proxy integration tests). CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Integration tests use a real redis-server and a real prometheus (Debian packages). Tests start their
# own on free loopback ports; the packages' system services are kept from starting (policy-rc.d).
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v prometheus >/dev/null 2>&1 || [ -x /usr/bin/prometheus ] || missing+=(prometheus)
# Database tier (tests/db) and LiteLLM's UI in a browser (tests/browser): a Postgres server, Chromium, and
# node for the offline Prisma engine (../shared/tools/litellm-db-offline, when that tool is there).
OFFLINE_PRISMA_TOOL=../shared/tools/litellm-db-offline
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ! -d "$OFFLINE_PRISMA_TOOL" ] || command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod +x "$policy"
    trap '$SUDO rm -f "$policy"' EXIT
  fi
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -z "$policy" ] || { $SUDO rm -f "$policy"; trap - EXIT; }
fi
export LITELLM_LOCAL_MODEL_COST_MAP=True
bash scripts/setup_db.sh
exec .venv/bin/python -m pytest -q "$@"
