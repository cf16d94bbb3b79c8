"""Test-only: drive the plugin's budget reservation API for detached sub-calls (litellm_fusion/adapter/
budgets/budget_reservation.py: `reserve_for`, `call_metadata`, `release`) inside a real proxy, as an audit would use it.

Listed in a test config as `callbacks: [budget_probe.probe]` (tests/support/plugins is on PYTHONPATH). Importing it
adds three unauthenticated endpoints to the proxy's app (the proxy listens on 127.0.0.1 only); each names the
virtual key it acts for, whose auth object is LiteLLM's own (`get_key_object`):
- POST /test/budget/reserve {key, estimate}: hold `estimate` -> {"id", "reserved"} or {"refused": message};
- POST /test/budget/release {id}: give a hold back;
- POST /test/budget/call {key, estimate, model}: hold, then one Router call to `model` billed to the key (its
  identity and the hold in the call's metadata, as a detached sub-call carries them), the hold given back if the
  call fails -> {"reserved", "error"} or {"refused": message}.
The CustomLogger itself does nothing.
"""

from __future__ import annotations

import itertools
from typing import Any

from litellm.integrations.custom_logger import CustomLogger
from litellm.proxy.proxy_server import app

from litellm_fusion.adapter.budgets.budget_reservation import BudgetRefused, call_metadata, release, reserve_for

_holds: dict[str, dict[str, Any] | None] = {}
_ids = itertools.count(1)


async def _auth(key: str) -> Any:
    from litellm.proxy import proxy_server
    from litellm.proxy.auth.auth_checks import get_key_object
    from litellm.proxy.utils import hash_token

    return await get_key_object(
        hashed_token=hash_token(key),
        prisma_client=proxy_server.prisma_client,
        user_api_key_cache=proxy_server.user_api_key_cache,
        proxy_logging_obj=proxy_server.proxy_logging_obj,
    )


def _identity(auth: Any) -> dict[str, Any]:
    """The caller identity a detached sub-call forwards so LiteLLM's spend tracking bills it to the same key."""
    return {
        "user_api_key": auth.token,
        "user_api_key_alias": auth.key_alias,
        "user_api_key_team_id": auth.team_id,
        "user_api_key_user_id": auth.user_id,
    }


@app.post("/test/budget/reserve", include_in_schema=False)
async def reserve(body: dict[str, Any]) -> dict[str, Any]:
    try:
        hold = await reserve_for(await _auth(body["key"]), float(body["estimate"]))
    except BudgetRefused as refused:
        return {"refused": str(refused)}
    hold_id = str(next(_ids))
    _holds[hold_id] = hold
    return {"id": hold_id, "reserved": None if hold is None else hold["reserved_cost"]}


@app.post("/test/budget/release", include_in_schema=False)
async def give_back(body: dict[str, Any]) -> dict[str, Any]:
    await release(_holds.pop(str(body["id"])))
    return {}


@app.post("/test/budget/call", include_in_schema=False)
async def call(body: dict[str, Any]) -> dict[str, Any]:
    from litellm.proxy.proxy_server import llm_router

    auth = await _auth(body["key"])
    try:
        hold = await reserve_for(auth, float(body["estimate"]), model=body["model"])
    except BudgetRefused as refused:
        return {"refused": str(refused)}
    try:
        await llm_router.acompletion(
            model=body["model"],
            messages=[{"role": "user", "content": "audit"}],
            metadata={**_identity(auth), **call_metadata(hold)},
        )
    except Exception as exc:  # noqa: BLE001 - the call failed: nothing was billed, the hold is given back
        await release(hold)
        return {"reserved": None if hold is None else hold["reserved_cost"], "error": str(exc)}
    return {"reserved": None if hold is None else hold["reserved_cost"], "error": None}


class BudgetProbe(CustomLogger):
    pass


probe = BudgetProbe()
