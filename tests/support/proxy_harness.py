"""Start and stop a real `litellm` proxy process on 127.0.0.1 for tests and benchmarks."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import weakref
from pathlib import Path
from typing import Any, Self

import httpx
import yaml

SUPPORT_DIR = Path(__file__).resolve().parent


LOWEST_PORT = 10000


def _ephemeral_floor() -> int:
    """The lowest port the kernel hands out as the local end of outgoing connections (Linux's default 32768)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A free loopback port for a server a test starts, chosen below the kernel's ephemeral range: a port the OS
    picks itself (bind to 0) is an ephemeral one, which any outgoing connection of a process running beside (the
    test clients, the unit tier, the wheel check) may take before the server binds it ("address already in use",
    seen in CI). Random in [10000, the ephemeral floor), checked free; the OS's pick if the range is unusable."""
    floor = _ephemeral_floor()
    if floor - LOWEST_PORT > 1000:
        rng = secrets.SystemRandom()
        for _ in range(100):
            port = rng.randrange(LOWEST_PORT, floor)
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def file_tail(path: Path, chars: int) -> str:
    """The last `chars` characters of a log file ("" when it is not there)."""
    try:
        return path.read_text("utf-8", "replace")[-chars:]
    except OSError:
        return ""


def stop_process(proc: subprocess.Popen[Any] | None, *, group: bool = False, grace: float = 15.0) -> None:
    """SIGTERM, wait `grace` seconds, then SIGKILL; `group`: signal the process group (start_new_session)."""
    if proc is None or proc.poll() is not None:
        return

    def send(sig: signal.Signals) -> None:
        if group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)

    send(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        proc.wait(5)


def fake_deployment(
    name: str, upstream_url: str, input_price: float, output_price: float, **extra: Any
) -> dict[str, Any]:
    """A model_list entry served by the fake upstream, with prices so costs are exact."""
    return {
        "model_name": name,
        "litellm_params": {"model": f"openai/{name}", "api_base": upstream_url, "api_key": "fake-key", **extra},
        "model_info": {"input_cost_per_token": input_price, "output_cost_per_token": output_price},
    }


_LAUNCHED: weakref.WeakSet[ProxyProcess] = weakref.WeakSet()


def unexpected_deaths() -> list[str]:
    """How each launched proxy that exited on its own (not stopped, not a config expected to fail) ended, whether or
    not it has been stopped since: a proxy that dies mid-session (a crash) otherwise shows only as "connection
    refused" in whichever test used it next."""
    found = []
    for proxy in list(_LAUNCHED):
        death = proxy.died if proxy.ended else proxy.death()
        if death is not None:
            found.append(death)
    return found


class ProxyProcess:
    """One `litellm --config` subprocess. Use as a context manager; always stopped on exit."""

    def __init__(
        self, config: dict[str, Any], workdir: Path, *, spend_log: bool = True, env: dict[str, str] | None = None
    ) -> None:
        self.config = config
        self.workdir = workdir
        self.port = free_port()
        self.master_key = "sk-" + secrets.token_hex(24)
        self.spend_log_path = workdir / "spend_rows.jsonl" if spend_log else None
        self.log_path = workdir / "proxy.log"
        self.extra_env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.ended = False  # stopped, or its exit (a config that must fail) collected
        self.died: str | None = None  # how it ended, when it had exited on its own before it was stopped
        self._client: Any = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ANTHROPIC_", "LITELLM_"))}
        env.update(
            LITELLM_MASTER_KEY=self.master_key,
            LITELLM_LOCAL_MODEL_COST_MAP="True",
            LITELLM_LOG="ERROR",
            # a crash in native code (uvloop, hiredis) writes every thread's Python stack into the log
            PYTHONFAULTHANDLER="1",
            PYTHONPATH=os.pathsep.join(filter(None, [str(SUPPORT_DIR / "plugins"), env.get("PYTHONPATH", "")])),
            PROMETHEUS_MULTIPROC_DIR="",
        )
        env.pop("PROMETHEUS_MULTIPROC_DIR")
        if self.spend_log_path is not None:
            env["FUSION_TEST_SPEND_LOG"] = str(self.spend_log_path)
        env.update(self.extra_env)
        return env

    def _argv(self) -> list[str]:
        cfg_path = self.workdir / "config.yaml"
        cfg_path.write_text(yaml.safe_dump(self.config, sort_keys=False))
        litellm_bin = Path(sys.executable).parent / "litellm"
        return [str(litellm_bin), "--config", str(cfg_path), "--host", "127.0.0.1", "--port", str(self.port)]

    def launch(self) -> ProxyProcess:
        """Start the process and return at once; `wait_ready` follows (`exit_result` for a config that must fail).
        Several proxies can start together, one per core."""
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self._log = log
        self.proc = subprocess.Popen(
            self._argv(),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self._env(),
            cwd=self.workdir,
            start_new_session=True,
        )
        _LAUNCHED.add(self)
        return self

    def start(self, timeout: float = 90.0) -> ProxyProcess:
        return self.launch().wait_ready(timeout)

    def death(self) -> str | None:
        """None while the process runs (or before it is launched); once it has exited, how (its exit code, or the
        signal that killed it) and the tail of its log."""
        if self.proc is None or self.proc.poll() is None:
            return None
        code = self.proc.returncode
        how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exited with {code}"
        return f"proxy on port {self.port} {how}:\n{self.log_tail()}"

    def poll_ready(self, client: httpx.Client) -> bool:
        """True once the proxy serves; raises if its process exited."""
        if (death := self.death()) is not None:
            raise RuntimeError(death)
        try:
            return client.get(f"{self.base_url}/health/liveliness").status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout: float = 90.0) -> ProxyProcess:
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2) as client:
            while time.monotonic() < deadline:
                if self.poll_ready(client):
                    return self
                time.sleep(0.2)  # sleep-ok: polling a subprocess's readiness, bounded by the deadline
        self.stop()
        raise RuntimeError(f"proxy did not become ready in {timeout}s:\n{self.log_tail()}")

    def exit_result(self) -> tuple[int, str] | None:
        """After `launch()` of a proxy expected to fail at start-up: (exit code, output) once it exited, else None."""
        if self.proc is None or self.proc.poll() is None:
            return None
        self.ended = True
        self._log.close()
        return self.proc.returncode, file_tail(self.log_path, 10**7)

    def log_tail(self, chars: int = 6000) -> str:
        return file_tail(self.log_path, chars)

    def stop(self, grace: float = 15.0) -> None:
        if not self.ended:
            self.died = self.death()
        self.ended = True
        if self._client is not None:
            self._client.close()
            self._client = None
        stop_process(self.proc, group=True, grace=grace)
        if getattr(self, "_log", None) is not None:
            self._log.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- what the proxy recorded ----
    def spend_rows(self) -> list[dict[str, Any]]:
        if self.spend_log_path is None or not self.spend_log_path.exists():
            return []
        text = self.spend_log_path.read_text()
        # only complete lines: the proxy may be writing the next row (a large one is written in pieces) as we read
        complete = text[: text.rfind("\n") + 1]
        return [json.loads(line) for line in complete.splitlines() if line.strip()]

    def openai_client(self, timeout: float = 30) -> Any:
        """The official openai SDK pointed at this proxy with the master key (no client-side retries)."""
        import openai

        return openai.OpenAI(base_url=self.base_url, api_key=self.master_key, max_retries=0, timeout=timeout)

    def client(self) -> Any:
        """One `openai_client()` kept for this proxy (closed by `stop`): for tests that send many requests one by one,
        as constructing a client costs ~25 ms, and each new one opens a new connection."""
        if self._client is None:
            self._client = self.openai_client()
        return self._client

    def metrics(self) -> str:
        r = httpx.get(f"{self.base_url}/metrics/", headers={"Authorization": f"Bearer {self.master_key}"}, timeout=10)
        r.raise_for_status()
        return r.text
