"""The plugin's Prometheus metrics through a real Prometheus server scraping a real proxy.

One proxy (fake upstreams, a real redis-server for the judge cache) and one `prometheus` (Debian
package) scraping it every second with the master key. After a known sequence of fusion and routed
requests, every PromQL expression of `dashboards/litellm-fusion.json` runs through Prometheus's HTTP
API: cumulative ones must return exactly the expected numbers, rate-style ones (`$__rate_interval`)
must return data once Prometheus holds enough samples. An expression that returns nothing fails.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import yaml

from tests.support.fake_upstream import FakeUpstream
from tests.support.helpers import EASY, FUSION_WIRING, HARD, wait_for
from tests.support.proxy_fleet import Fleet
from tests.support.proxy_harness import ProxyProcess, fake_deployment, free_port, stop_process

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboards" / "litellm-fusion.json"
RATE_INTERVAL = "1m"  # what Grafana's $__rate_interval stands for here (scrape interval 1s)

PRICES = {
    "f-a": (1e-6, 2e-6),
    "f-b": (2e-6, 3e-6),
    "f-judge": (1e-5, 2e-5),
    "f-bad": (1e-6, 1e-6),
    "c-1": (1e-7, 2e-7),
    "c-2": (2e-7, 3e-7),
}
TOKENS = {"f-a": (10, 5), "f-b": (12, 6), "f-judge": (50, 10), "c-1": (30, 4), "c-2": (31, 5)}
SLOW = 0.3  # f-b's latency: the slowest member of every panel it is in
# routed group "auto": strength, $/input token, $/output token, (prompt, completion) tokens returned
TIERS = {"route-cheap": (2.0, 1e-7, 4e-7, (100, 50)), "route-strong": (3.2, 1e-5, 4e-5, (200, 80))}
FUSION = {
    "fusion/cached": {"model": "fusion/best-of", "panel": ["f-a", "f-b"], "judge": "f-judge"},
    "fusion/stream": {"model": "fusion/merge", "panel": ["f-a", "f-b"], "judge": "f-judge", "judge_cache_ttl": "off"},
    "fusion/debate": {
        "model": "fusion/debate",
        "panel": ["f-a", "f-b"],
        "judge": "f-judge",
        "rounds": 2,
        "judge_cache_ttl": "off",
    },
    "fusion/fragile": {"model": "fusion/best-of", "panel": ["f-a", "f-bad"], "judge": "f-judge", "min_panel": 2},
    "fusion/tolerant": {"model": "fusion/best-of", "panel": ["f-a", "f-bad"], "judge": "f-judge", "min_panel": 1},
    "fusion/routed": {
        "model": "fusion/best-of",
        "panel": ["auto", "f-a"],
        "judge": "f-judge",
        "judge_cache_ttl": "off",
    },
    # a cascade: the cheap tier agrees on prompts marked "cascade-agree", else the last tier (f-judge) answers; every
    # answer of tier 1 is audited (f-judge asked again, after the reply)
    "fusion/cascade": {"model": "fusion/cascade", "tiers": [["c-1", "c-2"], ["f-judge"]], "audit": {"rate": 1.0}},
}
CASCADE_MEMBERS = ["c-1", "c-2", "f-judge"]


def cost(model: str) -> float:
    price_in, price_out = PRICES[model]
    pt, ct = TOKENS[model]
    return pt * price_in + ct * price_out


def tier_cost(tier: str, prices_of: str | None = None) -> float:
    """A call answered by `tier`, priced at `prices_of`'s per-token prices (default: its own)."""
    _, price_in, price_out, _ = TIERS[prices_of or tier]
    pt, ct = TIERS[tier][3]
    return pt * price_in + ct * price_out


A, B, J, AUTO = cost("f-a"), cost("f-b"), cost("f-judge"), tier_cost("route-cheap")
C1, C2 = cost("c-1"), cost("c-2")
# the accepted cascade request's baseline: the last tier (f-judge)'s prices on c-1's usage; the escalated one: J
CASCADE_BASELINE = (TOKENS["c-1"][0] * PRICES["f-judge"][0] + TOKENS["c-1"][1] * PRICES["f-judge"][1]) + J
CASCADE_COST = 2 * (C1 + C2) + J
ROUTED = ["route-cheap", "route-cheap", "route-strong"]  # fusion/routed's member "auto", direct EASY, direct HARD
WOULD = sum(tier_cost(t, "route-strong") for t in ROUTED)
ACTUAL = sum(tier_cost(t) for t in ROUTED)


def proxy_config(url: str, redis_port: int) -> dict[str, Any]:
    models = [fake_deployment(name, url, *price) for name, price in PRICES.items()]
    for tier, (strength, price_in, price_out, _) in TIERS.items():
        entry = fake_deployment(tier, url, price_in, price_out)
        entry["model_name"] = "auto"
        entry["model_info"]["strength"] = strength
        models.append(entry)
    models += [{"model_name": name, "litellm_params": params} for name, params in FUSION.items()]
    return {
        "model_list": models,
        "router_settings": {
            "num_retries": 0,
            "disable_cooldowns": True,
            "redis_host": "127.0.0.1",
            "redis_port": redis_port,
        },
        "litellm_settings": dict(FUSION_WIRING),
        "litellm_fusion": {"routing": {"auto": {"mode": "balanced"}}, "judge_cache": {"ttl": 3600, "timeout_ms": 5000}},
    }


class PrometheusServer:
    """A real `prometheus` on a free loopback port with its own config and TSDB directory."""

    def __init__(self, workdir: Path, target: ProxyProcess) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.target = target
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> PrometheusServer:
        binary = shutil.which("prometheus") or "/usr/bin/prometheus"
        if not Path(binary).exists():
            raise RuntimeError("prometheus is not installed (scripts/test.sh installs the Debian package)")
        config = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [
                {
                    "job_name": "litellm",
                    "metrics_path": "/metrics/",
                    "authorization": {"type": "Bearer", "credentials": self.target.master_key},
                    "static_configs": [{"targets": [f"127.0.0.1:{self.target.port}"]}],
                }
            ],
        }
        cfg = self.workdir / "prometheus.yml"
        cfg.write_text(yaml.safe_dump(config))
        self._log = open(self.workdir / "prometheus.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                binary,
                f"--config.file={cfg}",
                f"--storage.tsdb.path={self.workdir / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
            start_new_session=True,
        )

        def ready() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited: {(self.workdir / 'prometheus.log').read_text()[-3000:]}")
            try:
                return httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, timeout=timeout, what="prometheus to be ready")
        return self

    def query(self, expr: str) -> list[tuple[dict[str, str], float]]:
        r = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=5)
        body = r.json()
        assert r.status_code == 200 and body["status"] == "success", f"{expr}: {body}"
        assert body["data"]["resultType"] == "vector", expr
        return [
            ({k: v for k, v in s["metric"].items() if k not in ("job", "instance")}, float(s["value"][1]))
            for s in body["data"]["result"]
        ]

    def target_up(self) -> bool:
        return any(v == 1.0 for _, v in self.query('up{job="litellm"}'))

    def stop(self) -> None:
        stop_process(self.proc)
        if getattr(self, "_log", None) is not None:
            self._log.close()


def fleet_proxies(fleet: Fleet) -> None:
    fleet.add("prometheus", proxy_config(fleet.upstream.base_url, fleet.redis("prometheus").port))


@pytest.fixture(scope="module")
def proxy(fleet: Fleet) -> Iterator[ProxyProcess]:
    with fleet.lease("prometheus") as p:
        yield p


@pytest.fixture(scope="module")
def prometheus(proxy: ProxyProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    server = PrometheusServer(tmp_path_factory.mktemp("prometheus"), proxy).start()
    try:
        wait_for(server.target_up, timeout=20, what="prometheus to scrape the proxy's /metrics")
        yield server
    finally:
        server.stop()


def steer(upstream: FakeUpstream) -> None:
    for model, (pt, ct) in TOKENS.items():
        text: Any = json.dumps({"winner": 2, "reason": "B is right"}) if model == "f-judge" else f"answer from {model}"
        if model.startswith("c-"):
            text = lambda body, own=text: "42" if "cascade-agree" in body["messages"][-1]["content"] else own
        upstream.set(model, text=text, prompt_tokens=pt, completion_tokens=ct, latency=SLOW if model == "f-b" else 0.0)
    upstream.set("f-bad", status=500, error_message="f-bad is down")
    for tier, (*_, (pt, ct)) in TIERS.items():
        upstream.set(tier, text=f"answer from {tier}", prompt_tokens=pt, completion_tokens=ct)


@pytest.fixture(scope="module")
def sent(proxy: ProxyProcess, prometheus: PrometheusServer, upstream: FakeUpstream) -> dict[str, Any]:
    """The known sequence of requests, sent once (while Prometheus is already scraping)."""
    upstream.reset()
    steer(upstream)
    client = openai.OpenAI(base_url=proxy.base_url, api_key=proxy.master_key, max_retries=0, timeout=30)

    def ask(model: str, text: str, **kwargs: Any) -> Any:
        return client.chat.completions.with_raw_response.create(
            model=model, messages=[{"role": "user", "content": text}], **kwargs
        )

    question = "What is the capital of France? (metrics test)"
    assert ask("fusion/cached", question).headers["x-litellm-fusion-judge-cache"] == "miss"
    assert ask("fusion/cached", question).headers["x-litellm-fusion-judge-cache"] == "hit"
    streamed = client.chat.completions.create(
        model="fusion/stream", messages=[{"role": "user", "content": "Explain tides."}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
    assert ask("fusion/debate", "Is 91 prime?").headers["x-litellm-fusion-rounds"] == "2"
    with pytest.raises(openai.APIStatusError) as failed:
        ask("fusion/fragile", "Name a colour.")
    assert failed.value.status_code == 502
    assert "f-bad" in ask("fusion/tolerant", "Name a colour.").headers["x-litellm-fusion-dropped"]
    assert ask("fusion/routed", EASY).headers["x-litellm-fusion-judge"] == "ok"
    assert ask("fusion/cascade", "cascade-agree: 6 x 7?").headers["x-litellm-fusion-tier"] == "1"
    assert ask("fusion/cascade", "Which is larger?").headers["x-litellm-fusion-tier"] == "2"
    assert ask("auto", EASY).headers["x-litellm-fusion-route-deployment"] == "openai/route-cheap"
    assert ask("auto", HARD).headers["x-litellm-fusion-route-deployment"] == "openai/route-strong"
    # A client's metadata posing as the plugin's records changes neither spend nor metrics.
    spoof = {
        "litellm_fusion_result": {"cost": 0, "prompt_tokens": 0, "completion_tokens": 0},
        "litellm_fusion_routing": {"group": "auto", "deployment": "evil", "classifier_us": 1},
        "litellm_fusion_inner_call": {"fusion_model": "evil"},
    }
    spoofed = ask("f-a", "plain call", metadata=spoof)
    assert float(spoofed.headers["x-litellm-response-cost"]) == pytest.approx(A, rel=1e-9)
    wait_for(  # judge: miss, stream, debate, routed; cascade tier 2; the audit of the cascade's tier-1 answer
        lambda: len([s for s in upstream.seen if s.model == "f-judge" and s.finished]) == 6, what="six f-judge calls"
    )
    return {"ids": [spoofed.parse().id]}


def dashboard_targets() -> list[tuple[str, str, str]]:
    """(panel title, refId, expr) of every target of every panel, rows included."""
    dashboard = json.loads(DASHBOARD.read_text())
    out = []

    def walk(panels: list[dict[str, Any]]) -> None:
        for panel in panels:
            walk(panel.get("panels") or [])
            for target in panel.get("targets") or []:
                out.append((panel["title"], target["refId"], target["expr"]))

    walk(dashboard["panels"])
    return out


def concrete(expr: str) -> str:
    return expr.replace("$__rate_interval", RATE_INTERVAL)


Vector = dict[frozenset[tuple[str, str]], float]


def vec(*rows: tuple[dict[str, str], float]) -> Vector:
    return {frozenset(labels.items()): value for labels, value in rows}


def by_fusion(values: dict[str, float], **labels: str) -> Vector:
    return vec(*(({"fusion_model": m, **labels}, v) for m, v in values.items()))


def member_series(value: Callable[[str, str], float]) -> Vector:
    pairs = [(m, p) for m, opts in FUSION.items() for p in opts.get("panel", CASCADE_MEMBERS)]
    return vec(*(({"fusion_model": m, "member": p}, value(m, p)) for m, p in pairs))


def expected() -> dict[tuple[str, str], Vector | None]:
    """Exact results of the cumulative (since proxy start) dashboard expressions after `sent`."""
    member_cost = {
        ("fusion/cached", "f-a"): 2 * A,
        ("fusion/cached", "f-b"): 2 * B,
        ("fusion/stream", "f-a"): A,
        ("fusion/stream", "f-b"): B,
        ("fusion/debate", "f-a"): 2 * A,
        ("fusion/debate", "f-b"): 2 * B,  # two rounds
        ("fusion/fragile", "f-a"): A,
        ("fusion/fragile", "f-bad"): 0.0,
        ("fusion/tolerant", "f-a"): A,
        ("fusion/tolerant", "f-bad"): 0.0,
        ("fusion/routed", "auto"): AUTO,
        ("fusion/routed", "f-a"): A,
        ("fusion/cascade", "c-1"): 2 * C1,
        ("fusion/cascade", "c-2"): 2 * C2,
        ("fusion/cascade", "f-judge"): J,
    }
    judged = ["fusion/cached", "fusion/stream", "fusion/debate", "fusion/routed"]  # one judge call each
    totals = {m: sum(v for (mm, _), v in member_cost.items() if mm == m) + (J if m in judged else 0.0) for m in FUSION}
    ok = ["fusion/cached", "fusion/stream", "fusion/debate", "fusion/tolerant", "fusion/routed", "fusion/cascade"]
    share = {"openai/route-cheap": 2 / 3, "openai/route-strong": 1 / 3}
    return {
        ("Fusion spend breakdown (since proxy start)", "A"): member_series(lambda m, p: member_cost[(m, p)]),
        ("Fusion spend breakdown (since proxy start)", "B"): by_fusion({m: J for m in judged}, judge_model="f-judge"),
        ("Fusion spend breakdown (since proxy start)", "C"): by_fusion(totals),
        ("Fusion requests by model, mode and outcome (since proxy start)", "A"): vec(
            ({"fusion_model": "fusion/cached", "mode": "best-of", "outcome": "ok"}, 2),
            ({"fusion_model": "fusion/stream", "mode": "merge", "outcome": "ok"}, 1),
            ({"fusion_model": "fusion/debate", "mode": "debate", "outcome": "ok"}, 1),
            ({"fusion_model": "fusion/fragile", "mode": "best-of", "outcome": "failed"}, 1),
            ({"fusion_model": "fusion/tolerant", "mode": "best-of", "outcome": "degraded"}, 1),
            ({"fusion_model": "fusion/routed", "mode": "best-of", "outcome": "ok"}, 1),
            ({"fusion_model": "fusion/cascade", "mode": "cascade", "outcome": "ok"}, 2),
        ),
        ("Judge-cache hit rate (since proxy start)", "A"): vec(({}, 0.5)),  # one miss, one hit
        ("Judge-cache hit rate per fusion model (since proxy start)", "A"): by_fusion({"fusion/cached": 0.5}),
        ("Member failure rate (since proxy start)", "A"): member_series(lambda m, p: 1.0 if p == "f-bad" else 0.0),
        ("Judge calls by outcome (since proxy start)", "A"): by_fusion(
            {m: 1 for m in judged}, judge_model="f-judge", outcome="ok"
        ),
        ("Rounds per successful request (since proxy start)", "A"): by_fusion(
            {m: 2 if m == "fusion/debate" else 1 for m in ok}
        ),
        ("Routing mix per group (share and decisions, since proxy start)", "A"): vec(
            *(({"group": "auto", "deployment": d}, s) for d, s in share.items())
        ),
        # three decisions: the member call of fusion/routed counted once, the two direct calls; none for the spoof
        ("Routing mix per group (share and decisions, since proxy start)", "B"): vec(
            ({"group": "auto", "deployment": "openai/route-cheap", "outcome": "ok"}, 2),
            ({"group": "auto", "deployment": "openai/route-strong", "outcome": "ok"}, 1),
        ),
        ("Routing savings (since proxy start)", "A"): vec(({"group": "auto"}, WOULD - ACTUAL)),
        ("Routing savings (since proxy start)", "B"): vec(({"group": "auto"}, 1 - ACTUAL / WOULD)),
        ("Routing savings (since proxy start)", "C"): vec(({"group": "auto"}, WOULD)),
        ("Routing savings (since proxy start)", "D"): vec(({"group": "auto"}, ACTUAL)),
        ("Cascade answers by tier and escalations (since proxy start)", "A"): vec(
            ({"fusion_model": "fusion/cascade", "tier": "1", "accepted_by": "agreement"}, 1),
            ({"fusion_model": "fusion/cascade", "tier": "2", "accepted_by": "last tier"}, 1),
        ),
        ("Cascade answers by tier and escalations (since proxy start)", "B"): vec(
            ({"fusion_model": "fusion/cascade", "tier": "1", "reason": "disagreement"}, 1)
        ),
        ("Cascade savings (since proxy start)", "A"): by_fusion({"fusion/cascade": CASCADE_BASELINE - CASCADE_COST}),
        ("Cascade savings (since proxy start)", "B"): by_fusion(
            {"fusion/cascade": 1 - CASCADE_COST / CASCADE_BASELINE}
        ),
        ("Cascade savings (since proxy start)", "C"): by_fusion({"fusion/cascade": CASCADE_BASELINE}),
        # the audit of the accepted cascade answer ("42" against the last tier's JSON): one decided audit, disagreeing
        **audit_rows(
            ({"model": "fusion/cascade", "tier": "1"}, 0.0, 0.0, wilson_high(0, 1), 1.0),
        ),
        # latencies are not exact: checked together, as relations, after the exact ones
        ("Mean latency: fusion vs slowest member (since proxy start)", "A"): None,
        ("Mean latency: fusion vs slowest member (since proxy start)", "B"): None,
        ("Mean latency: fusion vs slowest member (since proxy start)", "C"): None,
    }


AUDIT_PANEL = "Audited agreement with the top tier, 95% Wilson interval (since proxy start)"


def wilson_high(successes: int, n: int) -> float:
    from litellm_fusion.engine.audit import wilson

    return wilson(successes, n)[1]


def audit_rows(*rows: tuple[dict[str, str], float, float, float, float]) -> dict[tuple[str, str], Vector]:
    """The audit panel's four expressions: (labels, agreement, lower, upper, decided audits) per audited arm."""
    return {(AUDIT_PANEL, ref): vec(*((labels, values[i]) for labels, *values in rows)) for i, ref in enumerate("ABCD")}


def matches(result: Vector, want: Vector) -> bool:
    return result.keys() == want.keys() and all(
        math.isclose(result[k], v, rel_tol=1e-9, abs_tol=1e-15) for k, v in want.items()
    )


def as_vector(rows: list[tuple[dict[str, str], float]]) -> Vector:
    return vec(*rows)


def test_every_cumulative_dashboard_expression_returns_the_expected_numbers(prometheus, sent):
    targets = dashboard_targets()
    wanted = expected()
    cumulative = {(t, r): e for t, r, e in targets if "$__rate_interval" not in e}
    assert set(cumulative) == set(wanted), "every cumulative dashboard expression has an expected result"
    for key, expr in cumulative.items():
        want = wanted[key]
        if want is None:
            continue

        def settled(expr: str = expr, want: Vector = want) -> bool:
            return matches(as_vector(prometheus.query(expr)), want)

        try:
            wait_for(settled, timeout=20, what=f"{key}")
        except AssertionError:
            got = as_vector(prometheus.query(expr))
            pytest.fail(
                f"{key}\n{expr}\n got  {sorted((sorted(k), v) for k, v in got.items())}\n want "
                f"{sorted((sorted(k), v) for k, v in want.items())}"
            )

    # Fusion latency vs slowest member: the fusion request takes at least its slowest member (f-b, SLOW
    # per round), and the slowest member is at least SLOW per round.
    mean = {
        ref: {
            dict(k).get("fusion_model", "") + "|" + dict(k).get("member", ""): v
            for k, v in as_vector(
                prometheus.query(cumulative[("Mean latency: fusion vs slowest member (since proxy start)", ref)])
            ).items()
        }
        for ref in "ABC"
    }
    ok = {"fusion/cached", "fusion/stream", "fusion/debate", "fusion/tolerant", "fusion/routed", "fusion/cascade"}
    assert {k.split("|")[0] for k in mean["A"]} == ok and {k.split("|")[0] for k in mean["B"]} == ok
    for model in ok:
        assert mean["A"][f"{model}|"] >= mean["B"][f"{model}|"] > 0, model
    for model, rounds in (("fusion/cached", 1), ("fusion/stream", 1), ("fusion/debate", 2)):
        assert mean["B"][f"{model}|"] >= rounds * SLOW * 0.99, model
        assert mean["C"][f"{model}|f-b"] >= SLOW * 0.99 > mean["C"][f"{model}|f-a"], model


def test_every_rate_dashboard_expression_returns_data_after_two_scrapes(prometheus, sent):
    rate_exprs = [(t, r, concrete(e)) for t, r, e in dashboard_targets() if "$__rate_interval" in e]
    assert len(rate_exprs) >= 8
    for title, ref, expr in rate_exprs:
        try:
            wait_for(lambda expr=expr: prometheus.query(expr), timeout=20, what=f"{title} {ref}")
        except AssertionError:
            pytest.fail(f"{title} {ref}: no data\n{expr}")


def test_spoofed_plugin_metadata_is_ignored_and_litellm_counts_fusion_spend_once(prometheus, sent):
    """The plain call with spoofed metadata was billed and counted by LiteLLM; our metrics are breakdowns
    of LiteLLM's spend: a fusion model's member + judge costs equal LiteLLM's spend for it."""

    def spend(model: str) -> float:
        rows = prometheus.query(f'sum(litellm_spend_metric_total{{requested_model="{model}"}})')
        return rows[0][1] if rows else -1.0

    wait_for(lambda: math.isclose(spend("f-a"), A, rel_tol=1e-9), timeout=20, what="LiteLLM's spend for the plain call")
    for model in ("fusion/cached", "fusion/stream", "fusion/debate", "fusion/routed", "fusion/cascade"):

        def equal(model: str = model) -> bool:
            ours = prometheus.query(
                f'sum({{__name__=~"litellm_fusion_(member|judge)_cost_usd_total", fusion_model="{model}"}})'
            )
            return bool(ours) and math.isclose(spend(model), ours[0][1], rel_tol=1e-9)

        wait_for(equal, timeout=20, what=f"LiteLLM's spend for {model} to equal our breakdown")
