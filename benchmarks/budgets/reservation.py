"""What the budget reservation adds to each fusion / routed request (issue 21), measured in-process.

Two parts of the proxy's pre-call hook, each timed alone on the real objects (a LiteLLM Router over priced fake
deployments, LiteLLM's own reservation code with its in-memory spend counters; no network, no database):
- the plugin's worst-case estimate of the request (prompt tokens counted, the cost cap's estimator) per model,
  for a one-line and a ~2,000-token prompt;
- the reservation round trip through LiteLLM (`reserve_for` then `release`: the key's counter charged and given
  back), next to LiteLLM's own reservation of a plain priced model (`reserve_budget_for_request` on the same key),
  which every budgeted request to a priced model already pays.

    .venv/bin/python -m benchmarks budgets reservation            # ~1 minute (most of it importing the proxy)
    .venv/bin/python -m benchmarks budgets reservation --quick
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

PRICES = {"m-a": (1e-6, 2e-6), "m-b": (3e-6, 4e-6), "m-c": (5e-7, 1.5e-6), "judge": (1e-5, 3e-5)}
SHORT = [{"role": "user", "content": "hi"}]
LONG = [{"role": "user", "content": "Explain the proof step by step, with every lemma stated. " * 180}]


def router() -> Any:
    import litellm
    from litellm.llms.custom_llm import CustomLLM

    litellm.custom_provider_map = [{"provider": "fusion", "custom_handler": CustomLLM()}]
    litellm.utils.custom_llm_setup()
    priced = [
        {
            "model_name": name,
            "litellm_params": {"model": f"openai/{name}", "api_key": "x"},
            "model_info": {"input_cost_per_token": p[0], "output_cost_per_token": p[1]},
        }
        for name, p in PRICES.items()
    ]
    routed = [
        {
            "model_name": "auto",
            "litellm_params": {"model": f"openai/{name}", "api_key": "x"},
            "model_info": {"input_cost_per_token": p[0], "output_cost_per_token": p[1], "strength": s},
        }
        for name, p, s in (("small", (1e-7, 2e-7), 2.0), ("big", (1e-5, 3e-5), 3.0))
    ]
    panel = {"panel": ["m-a", "m-b", "m-c"], "judge": "judge"}
    fusion = [
        {"model_name": "fusion/best-of", "litellm_params": {"model": "fusion/best-of", **panel}},
        {"model_name": "fusion/debate", "litellm_params": {"model": "fusion/debate", "rounds": 2, **panel}},
        {
            "model_name": "fusion/cascade",
            "litellm_params": {"model": "fusion/cascade", "tiers": [["m-c", "m-a"], ["judge"]]},
        },
    ]
    return litellm.Router(model_list=priced + routed + fusion)


def timed(fn: Callable[[], Any], n: int) -> float:
    """Median microseconds of one call."""
    fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e6)
    return statistics.median(samples)


async def timed_async(fn: Callable[[], Awaitable[Any]], n: int) -> float:
    await fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - start) * 1e6)
    return statistics.median(samples)


def estimates(r: Any, n: int) -> list[tuple[str, str, float, float]]:
    from litellm.proxy import proxy_server

    from litellm_fusion.adapter.budgets.request_reservation import RequestReservations
    from litellm_fusion.config.routing import GroupRouting

    proxy_server.llm_router = r  # the proxy's Router, as the hook reads it
    fusion = frozenset({"fusion/best-of", "fusion/debate", "fusion/cascade"})
    reservations = RequestReservations(fusion, {"auto": GroupRouting()})
    rows = []
    for model in ("fusion/best-of", "fusion/debate", "fusion/cascade", "auto"):
        for label, messages in (("short", SHORT), ("~2k tokens", LONG)):
            data = {"model": model, "messages": messages}
            us = timed(lambda data=data: reservations.estimate(data), n)
            rows.append((model, label, us, reservations.estimate(data)))
    return rows


async def reservations(r: Any, n: int) -> dict[str, float]:
    from litellm.proxy import proxy_server
    from litellm.proxy._types import UserAPIKeyAuth
    from litellm.proxy.spend_tracking.budget_reservation import release_budget_reservation, reserve_budget_for_request

    from litellm_fusion.adapter.budgets.budget_reservation import release, reserve_for

    auth = UserAPIKeyAuth(token="bench-key", max_budget=1e9, spend=0.0)

    async def plugin() -> None:
        await release(await reserve_for(auth, 0.05))

    async def litellm_own() -> None:
        held = await reserve_budget_for_request(
            request_body={"model": "m-b", "messages": SHORT},
            route="/v1/chat/completions",
            llm_router=r,
            valid_token=auth,
            team_object=None,
            user_object=None,
            prisma_client=None,
            user_api_key_cache=proxy_server.user_api_key_cache,
            proxy_logging_obj=proxy_server.proxy_logging_obj,
        )
        await release_budget_reservation(held)

    return {
        "plugin: reserve_for + release": await timed_async(plugin, n),
        "LiteLLM's own, plain model": await timed_async(litellm_own, n),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    n = 20 if args.quick else 300
    r = router()
    print("| request | prompt | estimate (median µs) | estimate ($) |\n|---|---|---|---|")
    for model, label, us, dollars in estimates(r, n):
        print(f"| {model} | {label} | {us:.0f} | {dollars:.6f} |")
    print("\n| reservation round trip (in-memory counters) | median µs |\n|---|---|")
    for name, us in asyncio.run(reservations(r, n)).items():
        print(f"| {name} | {us:.0f} |")


if __name__ == "__main__":
    main()
