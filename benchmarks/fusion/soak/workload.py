"""The soak's workload: the deployments and fusion models the proxy serves, how the fake upstream answers
(steered by the faults), what the provider bills, and the plan of requests."""

from __future__ import annotations

from typing import Any

from tests.support.fake_upstream import FakeUpstream, Seen
from tests.support.helpers import FUSION_WIRING
from tests.support.proxy_harness import fake_deployment

from .faults import Faults, tag_of

PANEL = ["m-a", "m-b", "m-c"]
MODELS = {  # model_name: (input $/token, output $/token, prompt tokens, completion tokens, latency s)
    "m-a": (1e-6, 2e-6, 11, 7, 0.05),
    "m-b": (3e-6, 4e-6, 13, 9, 0.10),
    "m-c": (5e-7, 1.5e-6, 17, 3, 0.08),
    "judge": (1e-5, 3e-5, 101, 23, 0.05),
    "plain": (2e-6, 6e-6, 19, 5, 0.05),
    "m-slow": (1e-6, 1e-6, 10, 10, 2.0),
}
INNER = frozenset({*PANEL, "judge", "m-slow"})  # model_names only fusion calls (never a client)
ROUTED = {"route-cheap": (1.0, 1e-7, 4e-7), "route-strong": (3.2, 1e-5, 4e-5)}  # strength, $/token in, out
# member_timeout 2.5 s (1 s until 2026-11-30): the proxy's event loop sometimes stalls for about a second on a
# loaded 2-core machine, and every call in flight then timed out before it reached the upstream (two requests of the
# short soak in 5 of 7 CI-like runs); the hanging member's faults still run into it.
MEMBER_TIMEOUT = 2.5
JUDGE_TIMEOUT = 3.0
DEADLINE = 10.0
MARGIN = 4.0  # a request may queue in the busy proxy before fusion's deadline starts counting
FUSION = {  # model_name: (mode, min_panel)
    "fusion/best-of": ("best-of", 2),
    "fusion/merge": ("merge", 1),
    "fusion/debate": ("debate", 1),
}
HARD = (
    "Prove that for every prime p > 3, p^2 - 1 is divisible by 24, then write an efficient Python function "
    "that verifies it for all n up to 10^7 and analyse its time complexity."
)


def proxy_config(upstream_url: str, redis_port: int, extra_general: dict[str, Any] | None = None) -> dict[str, Any]:
    models = [fake_deployment(n, upstream_url, p_in, p_out) for n, (p_in, p_out, *_r) in MODELS.items()]
    for name, (strength, p_in, p_out) in ROUTED.items():
        entry = fake_deployment(name, upstream_url, p_in, p_out)
        entry["model_name"] = "auto"
        entry["model_info"]["strength"] = strength
        models.append(entry)
    common = {"member_timeout": MEMBER_TIMEOUT, "judge_timeout": JUDGE_TIMEOUT, "deadline": DEADLINE}
    for name, (mode, min_panel) in FUSION.items():
        params = {"model": name, "mode": mode, "panel": PANEL, "judge": "judge", "min_panel": min_panel, **common}
        if mode == "debate":
            params["rounds"] = 2
        models.append({"model_name": name, "litellm_params": params})
    models.append(
        {
            "model_name": "fusion/slow",
            "litellm_params": {
                "model": "fusion/best-of",
                "mode": "best-of",
                "panel": ["m-slow", "m-c"],
                "judge": "judge",
                "member_timeout": 5,
                "deadline": 10,
            },
        }
    )
    wiring = dict(FUSION_WIRING)
    wiring["callbacks"] = [*FUSION_WIRING["callbacks"], "soak_probe.probe"]
    cfg: dict[str, Any] = {
        "model_list": models,
        # no retries: one upstream call per inner call; no cooldowns: m-a's 500s must not bench it
        "router_settings": {
            "num_retries": 0,
            "disable_cooldowns": True,
            "redis_host": "127.0.0.1",
            "redis_port": redis_port,
        },
        "litellm_settings": wiring,
        "litellm_fusion": {"routing": {"auto": {"mode": "balanced"}}, "judge_cache": {"timeout_ms": 100}},
    }
    if extra_general:
        cfg["general_settings"] = dict(extra_general)
    return cfg


def steer(upstream: FakeUpstream, faults: Faults) -> None:
    for name, (_pi, _po, pt, ct, latency) in MODELS.items():
        kwargs: dict[str, Any] = {"prompt_tokens": pt, "completion_tokens": ct, "latency": latency}
        if name == "judge":
            kwargs["text"] = faults.judge_text
        elif name == "plain":
            kwargs["text"] = lambda body: f"plain {tag_of(body)}"
        else:
            kwargs["text"] = faults.member_text(name)
        if name == "m-a":
            kwargs.update(status=faults.a_status, error_message="m-a exploded")
        if name == "m-b":
            kwargs["hang"] = faults.b_hang
        upstream.set(name, **kwargs)
    for name in ROUTED:
        upstream.set(
            name, text=lambda body, n=name: f"{n} {tag_of(body)}", prompt_tokens=21, completion_tokens=4, latency=0.03
        )


def price(model: str) -> tuple[float, float]:
    if model in MODELS:
        return MODELS[model][0], MODELS[model][1]
    return ROUTED[model][1], ROUTED[model][2]


def billed(upstream: FakeUpstream, seen: Seen) -> float:
    """What the provider bills: calls it completed with 200 (a cancelled or failed call bills nothing)."""
    if seen.status != 200 or seen.finished is None or seen.cancelled:
        return 0.0
    b = upstream.behaviours[seen.model]
    p_in, p_out = price(seen.model)
    return b.prompt_tokens * p_in + b.completion_tokens * p_out


def plan(n: int, faults: Faults, seed: int) -> list[tuple[int, str, str, bool, str]]:
    """(i, tag, model, stream, text) for every request: 9 in 10 fusion (modes in turn), else plain / auto."""
    out = []
    modes = list(FUSION)
    for i in range(n):
        tag = f"soak-{seed}-{i:05d}"
        if i % 10 == 9:
            model = "plain" if (i // 10) % 2 == 0 else "auto"
        else:
            model = modes[(i - i // 10) % 3]
        text = f"Question {tag}: what is {i} + {i}?"
        if model == "auto" and (i // 20) % 2 == 1:
            text = f"{HARD} ({tag})"
        out.append((i, tag, model, faults.stream(tag), text))
    return out
