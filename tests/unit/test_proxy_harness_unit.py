"""A test proxy that dies mid-session is named with how it ended (tests/support/proxy_harness.py): otherwise a crash
shows only as "connection refused" in whichever test used the proxy next."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from tests.support.helpers import wait_for
from tests.support.proxy_harness import ProxyProcess, unexpected_deaths


class StandIn(ProxyProcess):
    """The harness's own launch and stop, around a process that writes a log line and waits to be killed."""

    def _argv(self) -> list[str]:
        return [sys.executable, "-c", "import signal; print('Fatal Python error: here', flush=True); signal.pause()"]


def launched(tmp_path: Path) -> StandIn:
    proxy = StandIn({}, tmp_path, spend_log=False).launch()
    assert proxy.proc is not None
    wait_for(lambda: "Fatal" in proxy.log_tail(), timeout=20, what="the stand-in's first log line")
    return proxy


def test_a_proxy_killed_by_a_signal_is_named_with_the_signal_and_its_log(tmp_path: Path):
    proxy = launched(tmp_path)
    try:
        assert proxy.death() is None
        proxy.proc.send_signal(signal.SIGSEGV)
        proxy.proc.wait(10)
        death = proxy.death()
        assert death is not None and f"port {proxy.port} killed by SIGSEGV" in death
        assert "Fatal Python error: here" in death
        assert death in unexpected_deaths()
    finally:
        proxy.stop()
    assert death in unexpected_deaths(), "stopped after it died (a fixture cleaning up): still reported"


def test_a_proxy_stopped_by_the_harness_is_not_an_unexpected_death(tmp_path: Path):
    proxy = launched(tmp_path)
    proxy.stop()
    assert proxy.death() is not None and "killed by SIGTERM" in proxy.death()
    assert not any(f"port {proxy.port} " in d for d in unexpected_deaths())
