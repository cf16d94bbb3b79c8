#!/usr/bin/env bash
# Set up and run the whole test suite: lint (ruff check, ruff format --check), then the unit, proxy, database and
# browser tiers on the newest supported LiteLLM, then a shorter pass on the oldest (scripts/test_oldest.sh).
# CI runs exactly this.
# Arguments go to pytest and select tests of the main pass only (the oldest pass then does not run);
# FUSION_OLDEST_PASS=0 skips the oldest pass.
set -euo pipefail
cd "$(dirname "$0")/.."
# The oldest pass's venv is set up in the background meanwhile (mostly downloading and byte-compiling on one core),
# in two steps (scripts/test_oldest.sh); it is finished before the first test runs.
oldest=""
if [ $# -eq 0 ] && [ "${FUSION_OLDEST_PASS:-1}" != 0 ]; then
  bash scripts/test_oldest.sh --prepare &
  oldest=$!
  trap 'wait "$oldest" 2>/dev/null || true' EXIT
fi
bash scripts/setup.sh
# Lint and format check first (ruff, pinned in the test extra; settings in pyproject.toml): seconds, and a
# problem there stops the run before any server starts.
if ! .venv/bin/ruff check --quiet . || ! .venv/bin/ruff format --check --quiet .; then
  echo "lint failed: fix the problems listed above (ruff check --fix . && ruff format . fix most), then run again" >&2
  exit 1
fi
if [ -n "$oldest" ]; then
  wait "$oldest" || true  # on failure the next step shows why
  bash scripts/test_oldest.sh --setup-only &
  oldest=$!
fi
# Integration tests use a real redis-server and a real prometheus (Debian packages). Tests start their
# own on free loopback ports; the packages' system services are kept from starting (policy-rc.d).
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v prometheus >/dev/null 2>&1 || [ -x /usr/bin/prometheus ] || missing+=(prometheus)
[ -x /usr/bin/chromium ] || missing+=(chromium)  # LiteLLM's admin UI in a browser (tests/browser)
bash scripts/install_debian.sh "${missing[@]}"
# The database tier (tests/db, tests/browser): Postgres, and Prisma's client for LiteLLM's database mode.
bash scripts/setup_db.sh
# The Prisma client `prisma generate` wrote (~16 MB of Python) has no bytecode, and with PYTHONDONTWRITEBYTECODE
# set every proxy start would compile it again (~5 s of CPU each; LiteLLM imports it at start-up): compile it
# once (a no-op when up to date).
.venv/bin/python -m compileall -q -j 0 "$(.venv/bin/python -c 'import importlib.util as u; print(u.find_spec("prisma").submodule_search_locations[0])')" >/dev/null
[ -z "$oldest" ] || wait "$oldest"
export LITELLM_LOCAL_MODEL_COST_MAP=True
.venv/bin/python -m pytest -q "$@"
if [ $# -eq 0 ] && [ "${FUSION_OLDEST_PASS:-1}" != 0 ]; then
  bash scripts/test_oldest.sh
fi
