"""The calls an audit makes, through the proxy's Router, billed to the caller as LiteLLM bills its own detached
sub-calls (its shadow evaluation: litellm/integrations/shadow_eval_logger.py).

Each call carries `sanitized_forwardable_call_metadata(parent metadata, origin)`: the caller's identity only (key
hash, alias, team, org, user, end user, the sanitized auth object), without the parent's budget reservation, stamped
with `internal_call_origin`. So LiteLLM writes each audit call its own spend row on the caller's key, team and user,
counts it in their spend and budgets (and in Prometheus, under that key, once), and leaves it out of request counts
and the savings tables. `InternalCallOrigin` is a fixed list of LiteLLM's own features; ours are marked with the
values of the feature they are: `shadow_eval_router` for the top arm's calls, `shadow_eval_judge` for the audit
judge. What tells them apart from LiteLLM's own shadow evaluation: the request tag `fusion-audit` (in the spend row's
request_tags, and LiteLLM's tag tables) and our metadata key `litellm_fusion_audit` ({scope, arm, parent_call_id}).
With `audit.billing_key` the identity is that key's (its team and user) instead of the caller's.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from typing import Any

from ...engine.audit.pair_judge import PairVerdict
from ...engine.records import Completion, Message
from ..proxy_access.router_caller import _completion, _inner_error

log = logging.getLogger("litellm_fusion")

AUDIT_CALL_KEY = "litellm_fusion_audit"
AUDIT_TAG = "fusion-audit"
ORIGIN_KEY = "internal_call_origin"
TOP_ORIGIN = "shadow_eval_router"
JUDGE_ORIGIN = "shadow_eval_judge"
JUDGE_MAX_TOKENS = 4096  # as LiteLLM's shadow-evaluation judge: room for a reasoning judge's thinking
IDENTITY_KEYS = frozenset(
    {
        "user_api_key",
        "user_api_key_hash",
        "user_api_key_alias",
        "user_api_key_team_id",
        "user_api_key_org_id",
        "user_api_key_user_id",
        "user_api_key_end_user_id",
        "user_api_key_auth",
    }
)
BILLING_KEY_TTL_S = 60.0


def caller_identity(parent: Mapping[str, Any]) -> dict[str, Any]:
    """The caller's identity for a detached sub-call (LiteLLM's own function where it has one)."""
    try:
        from litellm.litellm_core_utils.internal_call_metadata import sanitized_forwardable_call_metadata
    except ImportError:  # LiteLLM before the function: the same subset, minus the budget reservation
        found = {k: v for k, v in parent.items() if k in IDENTITY_KEYS}
        auth = found.get("user_api_key_auth")
        if auth is not None and getattr(auth, "budget_reservation", None) is not None:
            found["user_api_key_auth"] = auth.model_copy(update={"budget_reservation": None})
        return {**found, ORIGIN_KEY: TOP_ORIGIN}
    return dict(sanitized_forwardable_call_metadata(parent, TOP_ORIGIN))  # type: ignore[arg-type]


def call_metadata(identity: Mapping[str, Any], origin: str, marker: Mapping[str, Any]) -> dict[str, Any]:
    """Metadata of one audit call: the identity, our origin stamp, the `fusion-audit` tag and our marker."""
    return {**identity, ORIGIN_KEY: origin, "tags": [AUDIT_TAG], AUDIT_CALL_KEY: dict(marker)}


def is_audit_call(metadata: Mapping[str, Any] | None) -> bool:
    return bool(metadata) and AUDIT_CALL_KEY in metadata  # type: ignore[operator]


class BillingKeys:
    """`audit.billing_key`: the identity of a virtual key, looked up as LiteLLM's auth does (cached a minute)."""

    def __init__(self) -> None:
        self._found: dict[str, tuple[float, dict[str, Any]]] = {}

    async def identity(self, key: str) -> dict[str, Any] | None:
        if key.startswith("os.environ/"):
            key = os.environ.get(key.removeprefix("os.environ/"), "")
        if not key:
            return None
        cached = self._found.get(key)
        if cached is not None and time.monotonic() - cached[0] < BILLING_KEY_TTL_S:
            return cached[1]
        try:
            from litellm.proxy import proxy_server
            from litellm.proxy.auth.auth_checks import get_key_object
            from litellm.proxy.litellm_pre_call_utils import LiteLLMProxyRequestSetup
            from litellm.proxy.utils import hash_token

            hashed = hash_token(key) if key.startswith("sk-") else key
            auth = await get_key_object(
                hashed,
                proxy_server.prisma_client,
                proxy_server.user_api_key_cache,
                proxy_logging_obj=proxy_server.proxy_logging_obj,
            )
            if not auth.api_key:  # as LiteLLM's auth does once it found the key: the logged key is its hash
                auth = auth.model_copy(update={"api_key": hashed})
            data: dict[str, Any] = {"metadata": {}}
            LiteLLMProxyRequestSetup.add_user_api_key_auth_to_request_metadata(data, auth, "metadata")
        except Exception as exc:  # noqa: BLE001 - an unknown key: the audit bills the caller instead
            log.warning("litellm_fusion: audit.billing_key could not be resolved (%s); billing the caller", exc)
            return None
        found = caller_identity(data["metadata"])
        self._found[key] = (time.monotonic(), found)
        return found


class AuditCaller:
    """The engine's Caller for an audit's calls: by model_name (or deployment id), billed to `metadata`'s identity."""

    def __init__(self, router: Any, metadata: dict[str, Any], holds: Any = None) -> None:
        self.router = router
        self.metadata = metadata
        self.holds = holds  # audit_admission.Admission: each call carries its budget hold

    async def __call__(self, model: str, messages: list[Message], params: dict[str, Any], timeout: float) -> Completion:
        held = self.holds.next_call_metadata() if self.holds is not None else {}
        try:
            response = await self.router.acompletion(
                model=model, messages=messages, timeout=timeout, metadata={**self.metadata, **held}, **params
            )
        except Exception as exc:
            raise _inner_error(exc) from exc
        return _completion(response)

    def stream(self, model: str, messages: list[Message], params: dict[str, Any], timeout: float) -> Any:
        raise NotImplementedError("audits do not stream")


class RouterPairJudge:
    """The audit judge through LiteLLM's judge dispatch (`judge_acompletion`: no retries, no fallbacks), its verdict in
    LiteLLM's shadow-evaluation shape and read by LiteLLM's parser."""

    def __init__(self, router: Any, judge: str, metadata: dict[str, Any], timeout: float) -> None:
        self.router = router
        self.judge = judge
        self.metadata = metadata
        self.timeout = timeout

    async def __call__(self, prompt: list[Message]) -> PairVerdict:
        from litellm.integrations.shadow_eval_logger import PAIRWISE_JUDGE_RESPONSE_FORMAT, PairwiseVerdict
        from litellm.litellm_core_utils.llm_judge import judge_acompletion, parse_json_verdict

        team = self.metadata.get("user_api_key_team_id")
        try:
            response = await judge_acompletion(
                self.router,
                self.judge,
                prompt,  # type: ignore[arg-type]
                team_id=team if isinstance(team, str) else None,
                temperature=0,
                max_tokens=JUDGE_MAX_TOKENS,
                response_format=PAIRWISE_JUDGE_RESPONSE_FORMAT,
                metadata=dict(self.metadata),
                timeout=self.timeout,
            )
        except Exception as exc:  # noqa: BLE001 - a failed judge leaves the audit undecided
            return PairVerdict(None, f"judge call failed: {_inner_error(exc)}")
        cost = _completion(response).cost
        try:
            verdict = PairwiseVerdict.model_validate(parse_json_verdict(response.choices[0].message.content or ""))
        except Exception as exc:  # noqa: BLE001
            return PairVerdict(None, f"unusable judge verdict ({type(exc).__name__})", cost)
        return PairVerdict(verdict.preference, f"confidence {verdict.confidence:.2f}", cost)
