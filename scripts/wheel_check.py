"""The install path of docs/install.md, checked end to end (scripts/test_wheel.sh runs it):

    python -m scripts.wheel_check VENV

VENV holds the built wheel of this checkout next to `litellm[proxy]` and nothing else. A proxy is started from that
venv's `litellm` with the README's own config lines (the yaml block after the README's "five config lines" marker),
their panel and judge served by the fake upstream at known prices; one fusion request goes through it with the
openai SDK, as the README's request does, then the same streamed. Passes when the replies are the judge's answer,
every panel member answered in every round, LiteLLM billed (x-litellm-response-cost) exactly what the upstream's
calls cost, and each request's one spend row (LiteLLM's DB spend logger, its final insert captured to a file by the
tests' spend_capture plugin) carries that cost and the per-call breakdown. The plugin the proxy runs must be the
installed wheel's, never this checkout's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from tests.support.fake_upstream import FakeUpstream
from tests.support.helpers import billed, wait_for
from tests.support.proxy_harness import SUPPORT_DIR, ProxyProcess, fake_deployment

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- the five config lines"
JUDGE_ANSWER = "Settled: 42."
PRICES = (1e-6, 2e-6)  # $/input, $/output token of every fake deployment


def readme_config_lines(readme: Path = ROOT / "README.md") -> str:
    """The yaml block that follows the marker comment in the README."""
    text = readme.read_text()
    start = text.index(MARKER)
    block = text.index("```yaml\n", start) + len("```yaml\n")
    return text[block : text.index("```", block)]


def proxy_config(lines: str, upstream_url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The README's lines under `model_list`, with the deployments they name served by the fake upstream.
    Returns (config, the fusion model's litellm_params)."""
    config = yaml.safe_load("model_list:\n" + lines)
    (fusion,) = config["model_list"]
    params = fusion["litellm_params"]
    names = dict.fromkeys([*params["panel"], params["judge"]])
    config["model_list"] = [fake_deployment(n, upstream_url, *PRICES) for n in names] + config["model_list"]
    settings = config["litellm_settings"]
    settings["callbacks"] = [*settings.get("callbacks", []), "spend_capture.capture"]  # LiteLLM's spend row, to a file
    return config, fusion


class WheelProxy(ProxyProcess):
    """A proxy started from the venv's own `litellm`, with nothing of this checkout on its path but the tests'
    LiteLLM callbacks (tests/support/plugins: spend_capture)."""

    def __init__(self, venv: Path, config: dict[str, Any], workdir: Path) -> None:
        super().__init__(config, workdir)
        self.venv = venv

    def _argv(self) -> list[str]:
        return [str(self.venv / "bin" / "litellm"), *super()._argv()[1:]]

    def _env(self) -> dict[str, str]:
        env = super()._env()
        env["PYTHONPATH"] = str(SUPPORT_DIR / "plugins")
        return env


def installed_plugin(venv: Path) -> str:
    """Where the venv's python imports litellm_fusion from (outside this checkout, no PYTHONPATH)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import litellm_fusion; print(litellm_fusion.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tempfile.gettempdir(),
        check=True,
    )
    return out.stdout.strip()


def check(venv: Path) -> list[str]:
    problems = []
    where = installed_plugin(venv)
    if not Path(where).resolve().is_relative_to(venv.resolve()):
        problems.append(f"the venv imports litellm_fusion from {where}, not from its own site-packages")
    upstream = FakeUpstream().start()
    try:
        config, fusion = proxy_config(readme_config_lines(), upstream.base_url)
        params = fusion["litellm_params"]
        prices = {m: PRICES for m in (*params["panel"], params["judge"])}
        for i, member in enumerate(params["panel"]):
            upstream.set(member, text=f"member {i}: 42", prompt_tokens=20 + i, completion_tokens=7 + i)
        upstream.set(params["judge"], text=JUDGE_ANSWER, prompt_tokens=90, completion_tokens=6)
        messages = [{"role": "user", "content": "What is 6 x 7?"}]
        with WheelProxy(venv, config, Path(tempfile.mkdtemp(prefix="wheel-check-"))) as proxy:
            client = proxy.openai_client(timeout=60)
            # the README's request, then the same streamed
            raw = client.chat.completions.with_raw_response.create(model=fusion["model_name"], messages=messages)
            reply, headers = raw.parse(), raw.headers
            calls, cost = len(upstream.seen), billed(upstream, prices)
            stream = client.chat.completions.create(model=fusion["model_name"], messages=messages, stream=True)
            streamed = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
            stream_calls, stream_cost = len(upstream.seen) - calls, billed(upstream, prices) - cost
            rows = wait_for(lambda: len(r := proxy.spend_rows()) >= 2 and r, timeout=30, what="two spend rows")
        answer = reply.choices[0].message.content
        header_cost = float(headers.get("x-litellm-response-cost", "nan"))
        rounds = int(headers.get("x-litellm-fusion-rounds", "0"))
        if answer != JUDGE_ANSWER or streamed != JUDGE_ANSWER:
            problems.append(f"answers {answer!r} and (streamed) {streamed!r}, expected the judge's {JUDGE_ANSWER!r}")
        if headers.get("x-litellm-fusion-answered") != str(len(params["panel"])) or rounds < 1:
            problems.append(f"members answered: {headers.get('x-litellm-fusion-answered')}, rounds {rounds}")
        if calls != len(params["panel"]) * rounds + 1 or stream_calls != calls:
            problems.append(f"{calls} and {stream_calls} upstream calls for {rounds} rounds of the panel and the judge")
        if not abs(header_cost - cost) < 1e-12:
            problems.append(f"billed ${header_cost!r}, the upstream's calls cost ${cost!r}")
        plain_rows = [r for r in rows if r.get("request_id") == reply.id]
        problems += spend_row_problems(plain_rows, "the request", cost, calls)
        problems += spend_row_problems(
            [r for r in rows if r not in plain_rows], "the streamed request", stream_cost, calls
        )
        print(
            f"wheel check: {fusion['model_name']} through the installed wheel ({where}): {answer!r}, "
            f"{calls} calls, billed ${header_cost:.8f} (expected ${cost:.8f}); streamed: {streamed!r}, "
            f"spend rows ${', $'.join(str(r.get('spend')) for r in rows)}"
        )
    finally:
        upstream.stop()
    return problems


def spend_row_problems(rows: list[dict[str, Any]], what: str, cost: float, calls: int) -> list[str]:
    """The one spend row of a request carries its summed cost and every call it made (inner calls write none)."""
    if len(rows) != 1:
        return [f"{len(rows)} spend rows for {what}, expected exactly one"]
    row = rows[0]
    meta = row.get("metadata")
    meta = json.loads(meta) if isinstance(meta, str) else (meta or {})
    fusion = (meta.get("spend_logs_metadata") or {}).get("fusion") or {}
    recorded = len(fusion.get("members") or []) + (1 if fusion.get("judge") else 0)
    problems = []
    if not abs(float(row.get("spend") or 0) - cost) < 1e-12:
        problems.append(f"the spend row of {what} says ${row.get('spend')!r}, the upstream's calls cost ${cost!r}")
    if recorded != calls:
        problems.append(f"the spend row of {what} records {recorded} calls, the upstream saw {calls}")
    return problems


def main() -> int:
    problems = check(Path(sys.argv[1]).resolve())
    for p in problems:
        print(f"wheel check: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
