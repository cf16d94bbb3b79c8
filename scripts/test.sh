#!/usr/bin/env bash
# Set up and run the whole test suite: lint (ruff check, ruff format --check), then the unit, proxy, database and
# browser tiers on the newest supported LiteLLM, then a shorter pass on the oldest (scripts/test_oldest.sh).
# Meanwhile, in the background, the install path of docs/install.md (scripts/test_wheel.sh: the built wheel in a
# fresh venv, a proxy from the README's config lines); its failure fails the run. CI runs exactly this.
# Arguments go to pytest and select tests of the main pass only (the oldest pass and the wheel check then do not
# run); FUSION_OLDEST_PASS=0 skips the oldest pass, FUSION_WHEEL_CHECK=0 the wheel check.
set -euo pipefail
cd "$(dirname "$0")/.."
# The oldest pass's venv is set up in the background meanwhile (mostly downloading and byte-compiling on one core),
# in two steps (scripts/test_oldest.sh); it is finished before the first test runs.
oldest="" wheel="" unit="" oldest_unit=""
trap 'for job in $oldest $wheel $unit $oldest_unit; do wait "$job" 2>/dev/null || true; done' EXIT
if [ $# -eq 0 ] && [ "${FUSION_OLDEST_PASS:-1}" != 0 ]; then
  bash scripts/test_oldest.sh --prepare &
  oldest=$!
fi
bash scripts/setup.sh
# Lint and format check first (ruff, pinned in the test extra; settings in pyproject.toml): seconds, and a
# problem there stops the run before any server starts.
if ! .venv/bin/ruff check --quiet . || ! .venv/bin/ruff format --check --quiet .; then
  echo "lint failed: fix the problems listed above (ruff check --fix . && ruff format . fix most), then run again" >&2
  exit 1
fi
# The wheel check runs in the background from here on (pip's cache, then one proxy start); its output is shown
# after the main pass.
if [ $# -eq 0 ] && [ "${FUSION_WHEEL_CHECK:-1}" != 0 ]; then
  mkdir -p .venv-wheel
  bash scripts/test_wheel.sh > .venv-wheel/output.txt 2>&1 &
  wheel=$!
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
if [ $# -eq 0 ]; then
  # The unit tier (no processes; ~35 s of one core) runs in a second pytest beside the main pass, whose first ~2
  # minutes are the start of its proxy fleet (tests/support/proxy_fleet.py: CPU-bound, no test runs meanwhile): it
  # is done by the time the fleet is up (on a busy machine, while the browser and database tiers, which come first
  # and wait with bounds of seconds, run), and the two cores are busy through the fleet's start. So are the
  # oldest pass's unit modules (~20 s; their venv is ready). Their output is shown after the main pass (the oldest
  # pass's with that pass); a failure fails the run. Left to the main pass: the unit module that times its reads
  # against a wall-clock bound (50 ms), which a machine this busy can miss.
  timed=(tests/unit/test_answers_properties.py)
  .venv/bin/python -m pytest -q -p no:cacheprovider tests/unit "${timed[@]/#/--ignore=}" > .venv/unit-tier.log 2>&1 &
  unit=$!
  if [ "${FUSION_OLDEST_PASS:-1}" != 0 ]; then
    bash scripts/test_oldest.sh --unit > .venv-oldest/unit-tier.log 2>&1 &
    oldest_unit=$!
  fi
  status=0
  tiers=()
  for dir in tests/*/; do [ "$dir" = tests/unit/ ] || tiers+=("$dir"); done
  .venv/bin/python -m pytest -q "${tiers[@]}" "${timed[@]}" || status=$?
  unit_status=0
  wait "$unit" || unit_status=$?
  unit=""
  echo "== the unit tier (run beside the main pass)"
  cat .venv/unit-tier.log
  [ "$status" = 0 ] || exit "$status"
  [ "$unit_status" = 0 ] || { echo "the unit tier failed (above)" >&2; exit "$unit_status"; }
else
  .venv/bin/python -m pytest -q "$@"
fi
if [ -n "$wheel" ]; then
  status=0
  wait "$wheel" || status=$?
  wheel=""
  cat .venv-wheel/output.txt
  [ "$status" = 0 ] || { echo "the wheel check failed (scripts/test_wheel.sh; log: .venv-wheel/wheel.log)" >&2; exit 1; }
fi
if [ $# -eq 0 ] && [ "${FUSION_OLDEST_PASS:-1}" != 0 ]; then
  unit_status=0
  wait "$oldest_unit" || unit_status=$?
  oldest_unit=""
  cat .venv-oldest/unit-tier.log
  status=0
  bash scripts/test_oldest.sh --integration || status=$?
  [ "$unit_status" = 0 ] || { echo "the oldest pass's unit modules failed (above)" >&2; exit "$unit_status"; }
  [ "$status" = 0 ] || exit "$status"
fi
