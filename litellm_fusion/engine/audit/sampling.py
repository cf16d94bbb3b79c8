"""Which requests are audited: a hash of the request, so every replica makes the same choice for the same request.

"The request" is the audited scope (the cascade's model_name, or the routed group) and the conversation it was asked
(its messages, canonical JSON): what decides the answer that is audited, and all a replica can see of it in common
with another replica. A call id or a time would differ between replicas (and between a client's retries); a
request's text is the same everywhere. The consequence, documented: the same conversation sent many times is
always audited or never, so the sample is a share of distinct conversations per scope.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

_SCALE = float(2**64)


def request_digest(scope: str, messages: Sequence[Any]) -> bytes:
    """SHA-256 of the scope and the messages as canonical JSON (key order and spacing do not matter)."""
    body = json.dumps(list(messages), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{scope}\x00{body}".encode("utf-8", "surrogatepass")).digest()


def sample_point(scope: str, messages: Sequence[Any]) -> float:
    """The request's place in [0, 1): uniform over requests."""
    return int.from_bytes(request_digest(scope, messages)[:8], "big") / _SCALE


def is_sampled(scope: str, messages: Sequence[Any], rate: float) -> bool:
    """Whether the request falls in the audited share `rate` (0: never, 1: always)."""
    return rate > 0 and sample_point(scope, messages) < rate
