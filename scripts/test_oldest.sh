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
log=.venv-oldest/setup.log
if ! .venv-oldest/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('litellm') != '$OLDEST')" 2>/dev/null; then
  { .venv-oldest/bin/python -m pip install --upgrade pip && .venv-oldest/bin/python -m pip install -e ".[test]" "litellm[proxy]==$OLDEST"; } \
    > "$log" 2>&1 || { cat "$log"; echo "oldest-LiteLLM setup failed (log: $log)" >&2; exit 1; }
fi
export LITELLM_LOCAL_MODEL_COST_MAP=True
echo "== second pass: litellm[proxy]==$OLDEST"
exec .venv-oldest/bin/python -m pytest -q -p no:cacheprovider \
  tests/unit tests/proxy/test_fusion_proxy.py tests/proxy/test_cascade_proxy.py tests/proxy/test_streaming_proxy.py \
  tests/proxy/test_routing_proxy.py tests/proxy/test_disconnect_billing.py "$@"
