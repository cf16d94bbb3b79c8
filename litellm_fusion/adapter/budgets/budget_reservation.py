"""LiteLLM's budget reservation, with the plugin's own worst-case estimate.

LiteLLM (since 1.85, so on every version this package supports) reserves each request's estimated worst-case cost
against every budget it falls under (key, team, user, end user, tags, model access groups, team member,
organisation, project, budget windows) before calling anything, and settles the reservation to the real cost
afterwards (`litellm/proxy/spend_tracking/budget_reservation.py`). It prices that estimate from the requested model
group's cost info, which a fusion model does not have, so it reserved nothing for one (and, for a routed group, it
reserved the group's dearest price for 16,384 output tokens). LiteLLM has no hook for a custom estimate, so:

- `reserve_for` calls LiteLLM's own `reserve_budget_for_request`, with the same key/team/user objects its auth
  loaded (LiteLLM's cached getters), and prices the request through a view of the Router in which the requested
  model costs $0 per input token and `estimate` per output token, for a request capped at one output token: by
  LiteLLM's documented estimate (input tokens x input price + output cap x output price) it reserves exactly
  `estimate`. Everything else is LiteLLM's: which budgets count, the over-budget policy (resize to what is left,
  else refuse), fail-closed enforcement, throttling, the lease renewal, the refusal's error.
- The returned reservation is LiteLLM's own dict. Once it is the request's (`install`), LiteLLM settles it exactly
  as it settles any request: to the logged cost on success (the cost callback), released on failure (its failure
  hook) and on cancellation (its stream / disconnect paths). Its input-token share is $0, so a cancelled request
  is not charged an input cost on top of what the fusion handler bills for the calls that finished.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import litellm

from ..proxy_access import request_metadata
from ..proxy_access.router_access import priced_at

log = logging.getLogger("litellm_fusion")

ROUTE = "/v1/chat/completions"  # an LLM API route LiteLLM bills: what the reservation is checked as
METADATA_KEY = "user_api_key_budget_reservation"  # where LiteLLM's cost callback looks for a request's reservation


class BudgetRefused(Exception):
    """The budget has no room for the estimate: LiteLLM's refusal (`error`, a BudgetExceededError) as raised."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(getattr(error, "message", error)))
        self.error = error


def _proxy() -> Any:
    from litellm.proxy import proxy_server

    return proxy_server


def reservation_enabled() -> bool:
    """Whether LiteLLM reserves on this proxy (its `general_settings.disable_budget_reservation` is not set)."""
    return (getattr(_proxy(), "general_settings", None) or {}).get("disable_budget_reservation") is not True


async def _objects(auth: Any, end_user_id: str | None) -> tuple[Any, Any, Any]:
    """The team, user and end-user objects LiteLLM's auth loaded for this key (its cached getters)."""
    from litellm.proxy.auth.auth_checks import get_end_user_object, get_team_object, get_user_object

    proxy = _proxy()
    common = {"prisma_client": proxy.prisma_client, "user_api_key_cache": proxy.user_api_key_cache}
    team = user = end_user = None
    if auth.team_id:
        try:
            team = await get_team_object(
                team_id=auth.team_id, proxy_logging_obj=proxy.proxy_logging_obj, check_cache_only=None, **common
            )
        except Exception:  # as LiteLLM's auth: a team that fails to load counts as none
            log.debug("budget reservation: team %s not loaded", auth.team_id, exc_info=True)
    admin = auth.user_id == getattr(proxy, "litellm_proxy_admin_name", None)
    if auth.user_id and not admin:
        try:
            user = await get_user_object(
                user_id=auth.user_id, user_id_upsert=False, proxy_logging_obj=proxy.proxy_logging_obj, **common
            )
        except Exception:
            log.debug("budget reservation: user %s not loaded", auth.user_id, exc_info=True)
    if end_user_id:
        try:
            end_user = await get_end_user_object(
                end_user_id=end_user_id,
                route=ROUTE,
                proxy_logging_obj=proxy.proxy_logging_obj,
                token_end_user_max_budget=getattr(auth, "end_user_max_budget", None),
                **common,
            )
        except Exception:
            log.debug("budget reservation: end user %s not loaded", end_user_id, exc_info=True)
    return team, user, end_user


async def reserve_for(
    auth: Any,
    estimate: float,
    *,
    model: str = "fusion",
    tags: Iterable[str] = (),
    end_user_id: str | None = None,
) -> dict[str, Any] | None:
    """Reserve `estimate` dollars against every budget of the caller `auth` (LiteLLM's UserAPIKeyAuth).

    Returns LiteLLM's reservation (a dict, settled by LiteLLM once a logged call carries it, see `install` and
    `call_metadata`), or None when nothing is reserved: no budget applies, reservation is off, or an estimate of
    $0. Raises BudgetRefused when a budget has no room left (nothing is then held); with LiteLLM's
    `fail_closed_budget_enforcement`, its HTTPException 503 when the spend counters cannot be written."""
    if auth is None or estimate <= 0 or not reservation_enabled():
        return None
    from litellm.proxy.spend_tracking.budget_reservation import reserve_budget_for_request

    proxy = _proxy()
    settings: Mapping[str, Any] = proxy.general_settings or {}
    end_user_id = end_user_id or getattr(auth, "end_user_id", None)
    team, user, end_user = await _objects(auth, end_user_id)
    body: dict[str, Any] = {"model": model, "max_tokens": 1}
    if tags := list(tags):
        body["metadata"] = {"tags": tags}
    try:
        return await reserve_budget_for_request(
            request_body=body,
            route=ROUTE,
            llm_router=priced_at(proxy.llm_router, estimate),
            valid_token=auth,
            team_object=team,
            user_object=user,
            prisma_client=proxy.prisma_client,
            user_api_key_cache=proxy.user_api_key_cache,
            proxy_logging_obj=proxy.proxy_logging_obj,
            end_user_id=end_user_id,
            end_user_object=end_user,
            apply_user_budget_to_team_keys=settings.get("apply_user_budget_to_team_keys") is True,
            fail_closed_budget_enforcement=settings.get("fail_closed_budget_enforcement") is True
            or getattr(auth, "billing_agent_policy", None) is not None,
        )
    except litellm.BudgetExceededError as exc:
        raise BudgetRefused(exc) from None


async def release(reservation: dict[str, Any] | None) -> None:
    """Give a reservation back in full (a call that failed, was cancelled or never ran). Idempotent: a reservation
    LiteLLM already settled or released is left alone."""
    if reservation is None:
        return
    from litellm.proxy.spend_tracking.budget_reservation import release_or_invalidate_budget_reservation

    await release_or_invalidate_budget_reservation(budget_reservation=reservation)


def call_metadata(reservation: dict[str, Any] | None) -> dict[str, Any]:
    """Metadata for the logged call the reservation is for: LiteLLM's cost callback settles it to that call's cost."""
    return {} if reservation is None else {METADATA_KEY: reservation}


def identity_metadata(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The request's metadata dicts that hold LiteLLM's caller identity (`metadata` or `litellm_metadata`)."""
    return [m for m in request_metadata.all_dicts(data) if "user_api_key_auth" in m or "user_api_key" in m]


def install(auth: Any, data: Mapping[str, Any], reservation: dict[str, Any] | None) -> None:
    """Make `reservation` the request's, where LiteLLM's settle and release paths read it: the auth object (its
    failure hook and cancellation paths) and the request metadata (its cost callback)."""
    auth.budget_reservation = reservation
    for metadata in identity_metadata(data):
        if reservation is None:
            metadata.pop(METADATA_KEY, None)
        else:
            metadata[METADATA_KEY] = reservation
        logged_auth = metadata.get("user_api_key_auth")
        if logged_auth is not None and hasattr(logged_auth, "budget_reservation"):
            logged_auth.budget_reservation = reservation
