"""Test-only: record the spend-log rows LiteLLM would insert into Postgres.

Postgres-backed spend logs cannot run here (Prisma downloads its engines), so the proxy, having no
database, does not register its DB spend logger. This module registers that same logger
(`ProxyDBLogger`) and replaces only the final insert: LiteLLM's own cost callback still decides whether a row is written and builds it with
`get_logging_payload`; the row lands in the JSONL file named by $FUSION_TEST_SPEND_LOG.
Listed in a test config as `callbacks: [spend_capture.capture]` (tests/support/plugins is on PYTHONPATH).
"""

from __future__ import annotations

import asyncio
import json
import os
import threading

from litellm.proxy.db.db_spend_update_writer import DBSpendUpdateWriter

try:
    from litellm.proxy.hooks.proxy_track_cost_callback import ProxyDBLogger
except ImportError:  # LiteLLM < 1.108 names it _ProxyDBLogger
    from litellm.proxy.hooks.proxy_track_cost_callback import _ProxyDBLogger as ProxyDBLogger

_lock = threading.Lock()


async def _capture_insert(self, payload, prisma_client=None, llm_router=None, **_):
    path = os.environ.get("FUSION_TEST_SPEND_LOG")
    if not path:
        return
    # Written off the event loop (the proxy's loop must not block on a file); the lock keeps lines whole.
    await asyncio.to_thread(_append, path, json.dumps(payload, default=str) + "\n")


def _append(path: str, line: str) -> None:
    with _lock, open(path, "a", encoding="utf-8") as fh:
        fh.write(line)


DBSpendUpdateWriter._insert_spend_log_to_db = _capture_insert  # type: ignore[method-assign]


# The proxy registers its DB logger only when it has a database; register the real one here.
capture = ProxyDBLogger()
