#!/usr/bin/env bash
# The second, shorter test pass: the oldest LiteLLM this package supports (pyproject: litellm[proxy]>=1.102.4),
# in its own venv (.venv-oldest), over the tests that exercise every LiteLLM extension point the plugin uses
# (CustomLLM and its hidden cost, streaming, the Router and its filter hook, response headers, spend rows,
# Prometheus, cancel_on_disconnect and failure billing). scripts/test.sh runs it after the main pass.
set -euo pipefail
cd "$(dirname "$0")/.."
OLDEST=1.102.4
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
[ -x .venv-oldest/bin/python ] || "$PY" -m venv .venv-oldest
pip=(.venv-oldest/bin/python -m pip install)
stamp="litellm[proxy]==$OLDEST, pyproject $(sha256sum pyproject.toml | cut -d' ' -f1)"
ready() {
  [ "$(cat .venv-oldest/ready 2>/dev/null)" = "$stamp" ] \
    && .venv-oldest/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('litellm') != '$OLDEST')" 2>/dev/null
}
# scripts/test.sh sets this venv up in the background, in two steps: `--prepare` (while the main venv is set up)
# installs LiteLLM and its dependencies only, the bulk of the downloading and byte-compiling; `--setup-only` (after
# it: both venvs' editable installs build in this one source tree) adds this package and its test extra.
if [ "${1:-}" = --prepare ]; then
  ready || { "${pip[@]}" --upgrade pip && "${pip[@]}" "litellm[proxy]==$OLDEST"; } > .venv-oldest/prepare.log 2>&1
  exit
fi
log=.venv-oldest/setup.log
if ! ready; then
  { "${pip[@]}" --upgrade pip && "${pip[@]}" -e ".[test]" "litellm[proxy]==$OLDEST"; } \
    > "$log" 2>&1 || { cat "$log"; echo "oldest-LiteLLM setup failed (log: $log)" >&2; exit 1; }
  echo "$stamp" > .venv-oldest/ready
fi
[ "${1:-}" != --setup-only ] || exit 0
# `--unit` runs the pass's unit modules only, `--integration` the rest (scripts/test.sh runs the unit modules beside
# the main pass's proxy fleet start, the rest after the main pass); without either, both.
part=all
case "${1:-}" in --unit | --integration) part=${1#--} && shift ;; esac
export LITELLM_LOCAL_MODEL_COST_MAP=True
echo "== second pass: litellm[proxy]==$OLDEST$([ "$part" = all ] || echo ", $part modules")"
# Left out: the unit modules that never load LiteLLM (answer normaliser, verdict parsing, judge prompt fencing, the
# routing classifier and strategy, the replay book, the routing benchmark's metrics, the test fleet's config merge):
# the same code on either
# version, already run by the main pass. Every other unit module reaches LiteLLM (its litellm_params names in config
# validation, RedisCache, the routing hook, the cost map through the CLI). The proxy modules' proxies start together
# (tests/support/proxy_fleet.py); fusion, cascade and streaming share one.
PURE_UNIT=(test_answers_rules_unit.py test_answers_metamorphic.py test_answers_properties.py test_answer_formats_unit.py
  test_verdict_unit.py test_judge_steering_unit.py test_routing_classifier_unit.py
  test_routing_strategy_unit.py test_replay_book_unit.py test_routing_eval_metrics.py test_proxy_fleet_unit.py)
# The hostile tier's requests and answers modules go too: they lean on LiteLLM behaviour that has changed between
# versions (a request's num_retries 0 against the Router's own retries and policies, an emptied async_filter_deployments
# list as LiteLLM's no-deployments answer, the /v1/messages and /v1/responses request shapes the pre-call hook sees,
# failure-path billing of an InternalServerError); its parser properties never load LiteLLM, and its burst mixes what
# those two modules check (left to the main pass: the whole suite must stay under 10 minutes on 2 cores).
UNIT=("${PURE_UNIT[@]/#/--ignore=tests/unit/}" tests/unit)
INTEGRATION=(tests/proxy/test_fusion_proxy.py tests/proxy/test_cascade_proxy.py tests/proxy/test_streaming_proxy.py
  tests/proxy/test_routing_proxy.py tests/proxy/test_disconnect_billing.py tests/hostile/test_hostile_requests.py
  tests/hostile/test_hostile_answers.py)
case $part in
  unit) selected=("${UNIT[@]}") ;;
  integration) selected=("${INTEGRATION[@]}") ;;
  *) selected=("${UNIT[@]}" "${INTEGRATION[@]}") ;;
esac
exec .venv-oldest/bin/python -m pytest -q -p no:cacheprovider "${selected[@]}" "$@"
