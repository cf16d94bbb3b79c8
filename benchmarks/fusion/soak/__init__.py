"""Soak and fault harness (issue 5): a real proxy with the plugin under mixed load and injected faults.

A real `litellm` proxy (fusion handler + `fusion_callbacks`, `prometheus`, the test spend capture and
the test-only `soak_probe`), the fake upstream in this process (faults are functions of the request
body, so they are reproducible), a real redis-server as the judge cache, AsyncOpenAI as the client.

Workload: N requests at a given concurrency, in two phases (warm-up = 20%, then the rest): 90% fusion
(best-of / merge / debate with 2 rounds, in turn), 10% plain (a plain model, and the routed group
`auto`), ~20% streaming. Faults, decided per call from a SHA-256 of (seed, the request's tag, round):
member m-a answers HTTP 500 30% of the time, m-b hangs past member_timeout 10% of the time, the judge
returns garbage (best-of) or an empty answer (merge, debate) 5% of the time. Redis is killed (SIGKILL)
at 45% of the run and restarted at 65%. Then a few requests are abandoned by their client while a slow
panel member is in flight.

Checks (each prints a line of the summary table; tests/proxy/test_soak.py asserts them on a short run):
 1 replies: every reply equals what the fake upstream and judge produced given which members answered
   (the "oracle", rebuilt from the calls the upstream saw), or is the documented 502 naming the failed
   members; no request takes longer than the fusion deadline + margin.
 2 metadata: headers (non-streaming) and the spend row's `fusion` metadata agree with the upstream:
   answered members, each member call's ok/error per round, judge outcome (ok / fallback / skipped).
 3 spend: sum of spend rows == Prometheus litellm_spend_metric_total delta for the caller's key ==
   what the upstream billed (calls answered 200, tokens x prices) for answered requests; the
   cost header of each non-streaming reply == its spend row; no spend row or Prometheus spend
   series for inner calls. Billing = the upstream completed the call with 200. A call cut by
   member_timeout is cancelled by the proxy (the upstream sees the connection close: status 499, not
   billed); a call the upstream completed but fusion had already given up on would be billed by the
   provider and recorded at $0 by fusion: counted separately ("late completions"), expected 0.
   Calls billed for requests that then failed (502) are reported separately (no spend row carries them).
 4 resources: proxy RSS, sockets and asyncio tasks after the run vs after the warm-up (within 10%),
   and no asyncio task running litellm_fusion code once the proxy is idle.
 5 redis: killed mid-run and restarted: no failed request because of it; judge cache `unavailable`
   meanwhile, `miss` (working) again after the restart.
 6 disconnect: the client abandons a request while a 2 s panel member is in flight; the upstream must
   see that call cancelled and the judge must never be called for it.

    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python -m benchmarks fusion soak     # 2000 requests, c=32
    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python -m benchmarks fusion soak --n 200 --concurrency 16
    ... --results benchmarks/RESULTS.md   # also write the summary into RESULTS.md (its own section)

Modules, one job each: workload (deployments, fusion models, the plan of requests), faults (what each call is made
to do), client (requests through the openai SDK), probe (the proxy process's RSS, sockets and tasks), oracle (what
each reply must be), phases (cold start, Redis recovery, disconnects), run (one run and its command line),
evidence + evaluate + check_* (the checks), report (the summary and its RESULTS.md section).
"""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # the proxies it starts read LiteLLM's bundled cost map

from .report import SoakReport
from .run import main, run_soak

__all__ = ["SoakReport", "main", "run_soak"]
