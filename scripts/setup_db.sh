#!/usr/bin/env bash
# LiteLLM's database mode for the test suite and `demo.sh --ui`: the Debian postgresql package (the tests and
# the demo start their own cluster) and Prisma's Python client (0.11.0) generated for LiteLLM's schema.
# The client's query engine is Prisma's native binary, which `prisma generate` downloads from Prisma's
# servers. Where only the package registries are reachable, the shared tool ../shared/tools/litellm-db-offline
# (when present) stands in with Prisma's WebAssembly build of the same engine; its environment is written to
# .venv/prisma-offline/env.sh (read by tests/support/postgres_harness.py).
# Idempotent: regenerates only when LiteLLM's schema, the client or the engine choice changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PRISMA_VERSION=0.11.0   # the client the offline engine build matches; LiteLLM's proxy extra allows >=0.11,<1
OFFLINE_PRISMA_TOOL=../shared/tools/litellm-db-offline
missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
[ ! -d "$OFFLINE_PRISMA_TOOL" ] || command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
bash scripts/install_debian.sh "${missing[@]}"
log=.venv/setup_db.log
fail() { cat "$log"; echo "database setup failed (log: $log)" >&2; exit 1; }
.venv/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('prisma') != '$PRISMA_VERSION')" 2>/dev/null \
  || .venv/bin/python -m pip install -q "prisma==$PRISMA_VERSION" > "$log" 2>&1 || fail
engine=native
if [ -d "$OFFLINE_PRISMA_TOOL" ]; then
  bash "$OFFLINE_PRISMA_TOOL/setup.sh" .venv/prisma-offline > "$log" 2>&1 || fail
  engine=offline
  # shellcheck disable=SC1091
  . .venv/prisma-offline/env.sh
else
  rm -rf .venv/prisma-offline
fi
schema=$(.venv/bin/python -c 'import importlib.util as u, os; print(os.path.join(os.path.dirname(u.find_spec("litellm").origin), "proxy", "schema.prisma"))')
stamp="prisma=$PRISMA_VERSION engine=$engine schema=$(sha256sum "$schema" | cut -d' ' -f1)"
if [ "$(cat .venv/prisma-generated 2>/dev/null)" != "$stamp" ]; then
  PATH="$PWD/.venv/bin:$PATH" prisma generate --schema "$schema" > "$log" 2>&1 || fail
  echo "$stamp" > .venv/prisma-generated
fi
