"""What a caller sets for one request to a routed group (mode, candidates, cost ceiling), read from the request
metadata (`routing_mode` / `routing_candidates` / `routing_max_cost`) or the headers (`x-litellm-routing-*`), checked
against the group's `caller_may_set` and its deployments.

Errors name the value as the caller sent it and stay short whatever was sent (at most a few names, values cut by
reprlib); every reader takes any JSON value in linear time without recursing on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...config.routing import CALLER_KEYS, GroupRouting, RoutingMode
from ..proxy_access import request_metadata
from ..proxy_access.request import shown

SHOWN_NAMES = 5  # unknown candidates (and deployments) named in an error; the rest are counted


class CallerRoutingError(ValueError):
    """A per-request routing value the group's policy does not allow, or an invalid one (-> HTTP 400)."""


@dataclass(frozen=True)
class CallerRouting:
    """What the caller set for this request (None: not set)."""

    mode: RoutingMode | None = None
    candidates: tuple[str, ...] | None = None  # as the caller named them
    max_cost: float | None = None

    def applied(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.mode is not None:
            out["mode"] = self.mode.value
        if self.candidates is not None:
            out["candidates"] = list(self.candidates)
        if self.max_cost is not None:
            out["max_cost"] = self.max_cost
        return out


def raw_caller_values(kwargs: Mapping[str, Any] | None) -> dict[str, tuple[str, Any]]:
    """field -> (how the caller named it, raw value); request metadata before headers."""
    metadata = request_metadata.read(kwargs)
    headers = {str(k).lower(): v for k, v in request_metadata.headers(kwargs).items()}
    found: dict[str, tuple[str, Any]] = {}
    for field, (meta_key, header) in CALLER_KEYS.items():
        if metadata.get(meta_key) is not None:
            found[field] = (meta_key, metadata[meta_key])
        elif headers.get(header) not in (None, ""):
            found[field] = (header, headers[header])
    return found


def deployment_names(deployment: Mapping[str, Any]) -> set[str]:
    """How a caller may name a deployment: litellm_params.model, that without its provider prefix, its id."""
    model = str((deployment.get("litellm_params") or {}).get("model", ""))
    names = {model, model.split("/", 1)[-1]}
    model_id = (deployment.get("model_info") or {}).get("id")
    if model_id:
        names.add(str(model_id))
    return names - {""}


def caller_routing(
    group: str, routing: GroupRouting, kwargs: Mapping[str, Any] | None, deployments: Sequence[Mapping[str, Any]]
) -> CallerRouting:
    """Parse and check the caller's routing values against the group's policy and its deployments."""
    raw = raw_caller_values(kwargs)
    where = f"litellm_fusion.routing.{group}.caller_may_set"
    for field, (name, _) in raw.items():
        if field not in routing.caller_may_set:
            raise CallerRoutingError(f"{name}: routed group {group!r} does not let callers set {field} ({where})")
    mode = candidates = max_cost = None
    if "mode" in raw:
        name, value = raw["mode"]
        try:
            mode = RoutingMode(value.strip().lower() if isinstance(value, str) else None)
        except ValueError:
            raise CallerRoutingError(f"{name}: must be cost, balanced or quality, got {shown(value)}") from None
    if "candidates" in raw:
        name, value = raw["candidates"]
        candidates = _candidates(group, name, value, deployments)
    if "max_cost" in raw:
        name, value = raw["max_cost"]
        max_cost = float("nan")
        if isinstance(value, int | float | str) and not isinstance(value, bool):
            try:
                max_cost = float(value)
            except ValueError:
                pass
        if not 0 < max_cost < float("inf"):
            raise CallerRoutingError(f"{name}: must be a positive number of dollars, got {shown(value)}")
    return CallerRouting(mode, candidates, max_cost)


def _named(names: Sequence[str]) -> str:
    listed = ", ".join(shown(n) for n in names[:SHOWN_NAMES])
    return listed + (f" and {len(names) - SHOWN_NAMES} more" if len(names) > SHOWN_NAMES else "")


def _candidates(group: str, name: str, value: Any, deployments: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    listed = value.split(",") if isinstance(value, str) else value
    if not isinstance(listed, list | tuple) or not all(isinstance(c, str) for c in listed):
        raise CallerRoutingError(
            f"{name}: must be a list of deployment names (or a comma-separated string), got {shown(value)}"
        )
    candidates = tuple(c.strip() for c in listed if c.strip())
    if not candidates:
        raise CallerRoutingError(f"{name}: names no deployment")
    known = set().union(*(deployment_names(d) for d in deployments)) if deployments else set()
    unknown = [c for c in candidates if c not in known]
    if unknown:
        models = sorted({str((d.get("litellm_params") or {}).get("model")) for d in deployments})
        what = "is not a deployment" if len(unknown) == 1 else f"({len(unknown)} names) are not deployments"
        raise CallerRoutingError(
            f"{name}: {_named(unknown)} {what} of routed group {group!r} (its deployments: {_named(models)})"
        )
    return candidates


def allowed_ids(caller: CallerRouting, deployments: Sequence[Mapping[str, Any]]) -> set[str] | None:
    """Ids of the deployments the caller's candidates name (None: no restriction)."""
    if caller.candidates is None:
        return None
    wanted = set(caller.candidates)
    return {
        str((d.get("model_info") or {}).get("id") or (d.get("litellm_params") or {}).get("model"))
        for d in deployments
        if deployment_names(d) & wanted
    }


def effective_routing(routing: GroupRouting, caller: CallerRouting) -> GroupRouting:
    return routing if caller.mode is None else routing.model_copy(update={"mode": caller.mode})
