"""Test-only: LiteLLM's spend flush without its random start offset, so a test's wait for spend is short.

A proxy with a database writes key, team and user spend every `proxy_batch_write_at` seconds plus a random 0 to 5
s drawn once at start (`random.randint` in litellm/proxy/proxy_server.py; other background jobs add offsets of up
to minutes the same way). With `proxy_batch_write_at: 0.5` (tests/support/db_proxy.py) that offset is most of every
DB test's wait. Importing this module (listed in a test config as `callbacks: [flush_now.hook]`, tests/support/
plugins is on PYTHONPATH) makes the proxy server module draw the smallest offset: its config is loaded before its
background jobs are scheduled. Nothing else about the jobs changes, and the real `random` module is untouched.
"""

from __future__ import annotations

import random
from typing import Any

from litellm.integrations.custom_logger import CustomLogger
from litellm.proxy import proxy_server


class _SmallestOffset:
    """`random` as proxy_server.py sees it: `randint(a, b)` is `a`; everything else is the real module."""

    @staticmethod
    def randint(a: int, b: int) -> int:
        return a

    def __getattr__(self, name: str) -> Any:
        return getattr(random, name)


proxy_server.random = _SmallestOffset()  # type: ignore[assignment]
hook = CustomLogger()  # what the config lists: the import above is the whole effect
