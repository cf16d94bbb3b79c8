"""The routing hook's own time per request (`RoutingHook.filter`, in-process, no proxy), by prompt size, and the part
of it that is the prompt-token count (adapter/proxy_access/prompt_tokens.py). Three priced deployments, balanced mode.

    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python -m benchmarks routing filter [--requests N]

To compare with another version of the plugin, run the same command with PYTHONPATH set to its checkout."""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

SIZES = (200, 2_000, 20_000)
TEXT = "Explain how a hash map handles collisions, and compare chaining with open addressing. "
DEPLOYMENTS = [
    {
        "model_name": "auto",
        "litellm_params": {"model": f"openai/{name}"},
        "model_info": {"id": name, "strength": strength, "input_cost_per_token": p, "output_cost_per_token": 4 * p},
    }
    for name, strength, p in (("cheap", 1.0, 1e-7), ("mid", 1.8, 2e-6), ("strong", 3.2, 1e-5))
]


def timed(run: Callable[[int], object], requests: int) -> tuple[float, float]:
    """(median, p90) in µs of `run(i)` over `requests` calls, after a fifth as many warm-up calls."""
    warm = max(1, requests // 5)
    times = []
    for i in range(warm + requests):
        started = time.perf_counter()
        run(i)
        if i >= warm:
            times.append((time.perf_counter() - started) * 1e6)
    times.sort()
    return statistics.median(times), times[int(0.9 * (len(times) - 1))]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=250, help="timed requests per prompt size")
    args = parser.parse_args(argv)

    from litellm_fusion.adapter.routing.routing_hook import RoutingHook
    from litellm_fusion.config.routing import GroupRouting

    try:
        from litellm_fusion.adapter.proxy_access.prompt_tokens import count
    except ImportError:  # a version of the plugin before the one estimator
        count = None
    hook = RoutingHook({"auto": GroupRouting()})
    print("| prompt | filter median µs | filter p90 µs | token count median µs |\n|---|---:|---:|---:|")
    for size in SIZES:
        text = (TEXT * (size // len(TEXT) + 1))[:size]

        def route(i: int, text: str = text) -> object:
            messages = [{"role": "user", "content": f"{text} {i}"}]
            return hook.filter("auto", list(DEPLOYMENTS), messages, {"messages": messages, "metadata": {}})

        median, p90 = timed(route, args.requests)
        counted = "-"
        if count is not None:
            counted = (
                f"{timed(lambda i, t=text: count([{'role': 'user', 'content': f'{t} {i}'}]), args.requests)[0]:.0f}"
            )
        print(f"| {size:,} characters | {median:.0f} | {p90:.0f} | {counted} |")
