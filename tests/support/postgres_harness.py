"""A real Postgres cluster (Debian `postgresql`) on a free loopback port, for LiteLLM's database mode.

`PostgresCluster` runs `initdb` / `pg_ctl` on a throw-away data directory. Postgres refuses to run as
root, so when the tests run as root (CI does) the server runs as the unprivileged `postgres` user the
Debian package creates. The cluster listens on 127.0.0.1 only (no Unix socket), trusts local
connections, and trades durability for speed (no fsync): it lives for one test session.

`litellm_template()` builds one database with LiteLLM's own SQL migrations (`litellm_proxy_extras`,
applied with psql: offline there is no Prisma schema engine to run `prisma migrate`); each test module
then gets a fresh copy of it (`CREATE DATABASE ... TEMPLATE`, ~0.1 s) for its own proxy.

`prisma_env()` is what LiteLLM's Prisma client needs in the proxy's environment: nothing with Prisma's
native engines (plain `prisma generate` with internet access), or the variables of the offline engine
that scripts/test.sh prepared (`../shared/tools/litellm-db-offline`, see docs/tests.md, database tier).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Self

from .proxy_harness import file_tail, free_port

REPO = Path(__file__).resolve().parents[2]
# Written by scripts/test.sh when it prepared the offline Prisma engine; absent with native engines.
OFFLINE_ENV = REPO / ".venv" / "prisma-offline" / "env.sh"
TEMPLATE_DB = "litellm_template"


def pg_bindir() -> Path:
    """Debian's versioned server binaries (`initdb`, `pg_ctl` are not on PATH); PG_BINDIR overrides."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError("postgresql is not installed (scripts/test.sh installs the Debian package)")
    return Path(found[-1]).parent


def prisma_env() -> dict[str, str]:
    """The offline engine's variables (`export NAME=value` lines of its env.sh), or {} for native Prisma."""
    if not OFFLINE_ENV.exists():
        return {}
    out = {}
    for line in OFFLINE_ENV.read_text().splitlines():
        if line.startswith("export ") and "=" in line:
            name, value = line[len("export ") :].split("=", 1)
            out[name] = value
    return out


def migrations() -> list[Path]:
    """LiteLLM's SQL migrations, in the order `prisma migrate deploy` applies them (by folder name)."""
    import litellm_proxy_extras

    root = Path(litellm_proxy_extras.__file__).parent / "migrations"
    return sorted(root.glob("*/migration.sql"), key=lambda p: p.parent.name)


class PostgresCluster:
    def __init__(self) -> None:
        self.bindir = pg_bindir()
        self.port = free_port()
        self.server_user = _server_user()
        self.root = Path(tempfile.mkdtemp(prefix="litellm-fusion-pg-"))
        self.datadir = self.root / "data"
        self.log_path = self.root / "postgres.log"
        self.started = False

    def _run_as_server(self, *args: str, timeout: float = 60) -> None:
        kwargs: dict[str, Any] = {}
        if self.server_user is not None:
            kwargs.update(user=self.server_user.pw_uid, group=self.server_user.pw_gid, extra_groups=[])
        done = subprocess.run(
            [*args], check=False, capture_output=True, text=True, timeout=timeout, cwd=self.root, **kwargs
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{Path(args[0]).name} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n{self.log_tail()}"
            )

    def start(self) -> PostgresCluster:
        if self.server_user is not None:
            os.chown(self.root, self.server_user.pw_uid, self.server_user.pw_gid)
        try:
            self._run_as_server(
                str(self.bindir / "initdb"),
                "-D",
                str(self.datadir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            )
            settings = {
                "listen_addresses": "127.0.0.1",
                "port": self.port,
                "unix_socket_directories": "''",
                "fsync": "off",
                "synchronous_commit": "off",
                "full_page_writes": "off",
                "max_connections": 100,
                "shared_buffers": "32MB",
            }
            options = " ".join(f"-c {k}={v}" for k, v in settings.items())
            self._run_as_server(
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.datadir),
                "-l",
                str(self.log_path),
                "-o",
                options,
                "-w",
                "-t",
                "30",
                "start",
            )
            self.started = True
        except BaseException:
            self.stop()
            raise
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, database: str, *args: str, sql: str | None = None, timeout: float = 60) -> str:
        """Run psql (stops at the first error); `sql` is one command; returns unaligned, tuples-only output."""
        cmd = [
            str(self.bindir / "psql"),
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            self.url(database),
            *args,
        ]
        if sql is not None:
            cmd += ["-c", sql]
        done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"psql failed ({done.returncode}): {done.stderr.strip()}")
        return done.stdout

    def litellm_template(self) -> str:
        """Create (once) the database holding LiteLLM's migrated schema; returns its name."""
        exists = self.psql("postgres", sql=f"SELECT 1 FROM pg_database WHERE datname = '{TEMPLATE_DB}'").strip()
        if not exists:
            self.psql("postgres", sql=f"CREATE DATABASE {TEMPLATE_DB}")
            files = [a for f in migrations() for a in ("-f", str(f))]
            self.psql(TEMPLATE_DB, *files, timeout=120)
        return TEMPLATE_DB

    def fresh_litellm_database(self, name: str) -> str:
        """A new database with LiteLLM's schema (a copy of the template); returns its URL."""
        template = self.litellm_template()
        self.psql("postgres", sql=f'CREATE DATABASE "{name}" TEMPLATE {template}')
        return self.url(name)

    def log_tail(self, chars: int = 4000) -> str:
        return file_tail(self.log_path, chars)

    def stop(self) -> None:
        if self.started:
            try:
                self._run_as_server(
                    str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "-w", "-t", "30", "stop"
                )
            finally:
                self.started = False
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _server_user() -> pwd.struct_passwd | None:
    """Who runs the server: None (this user) unless we are root, then `postgres` (PG_USER overrides)."""
    if os.geteuid() != 0:
        return None
    name = os.environ.get("PG_USER", "postgres")
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise RuntimeError(
            f"running as root and there is no '{name}' user to run Postgres as "
            "(Postgres refuses root; the Debian package creates 'postgres', or set PG_USER)"
        ) from None
