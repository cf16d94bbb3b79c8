"""A real `litellm` proxy in LiteLLM's database mode: its own fresh database in a `PostgresCluster`,
the admin calls tests make (teams, users, virtual keys), and SQL reads of what LiteLLM wrote."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Self

import httpx

from .postgres_harness import PostgresCluster, prisma_env
from .proxy_fleet import Fleet
from .proxy_harness import ProxyProcess

# LiteLLM flushes key/team/user spend and the daily tables every `proxy_batch_write_at` (+ 0-5 s of its
# own jitter, which every DB proxy's plugins/flush_now.py sets to 0) seconds; 0.5 keeps a test's wait short (its
# daily tag spend job runs every int(2.3 x that) s: 1 s; under 0.44 that would be 0).
# Spend-log rows have their own ~2 s queue.
DB_GENERAL_SETTINGS = {"proxy_batch_write_at": 0.5}


def token_hash(key: str) -> str:
    """The `api_key` / `token` LiteLLM stores for a virtual key (sha256 of the key)."""
    return hashlib.sha256(key.encode()).hexdigest()


def sql_text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def declare_db_proxy(fleet: Fleet, name: str, config: dict[str, Any]) -> None:
    """A DbProxy (database `name` in the session's Postgres cluster) started with the session's fleet of proxies;
    `fleet.proxy(name)` returns it."""
    proxy = DbProxy(fleet.resource("postgres"), config, fleet.workdir(name), name)
    fleet.add_process(name, proxy, proxy.proxy)


class DbProxy:
    def __init__(self, cluster: PostgresCluster, config: dict[str, Any], workdir: Path, database: str) -> None:
        self.cluster = cluster
        self.database = database
        url = cluster.fresh_litellm_database(database)
        config = {**config, "general_settings": {**DB_GENERAL_SETTINGS, **config.get("general_settings", {})}}
        settings = config.get("litellm_settings", {})  # plugins/flush_now.py: the flush without its random offset
        config["litellm_settings"] = {**settings, "callbacks": [*settings.get("callbacks", []), "flush_now.hook"]}
        self.proxy = ProxyProcess(config, workdir, spend_log=False, env={"DATABASE_URL": url, **prisma_env()})

    @property
    def base_url(self) -> str:
        return self.proxy.base_url

    @property
    def master_key(self) -> str:
        return self.proxy.master_key

    def start(self, timeout: float = 240.0) -> DbProxy:
        self.proxy.start(timeout)
        return self

    def stop(self) -> None:
        # LiteLLM's graceful shutdown with a database takes ~10 s (it drains its spend queues and engine); the
        # database is thrown away with the cluster, so a short grace before SIGKILL is enough.
        self.proxy.stop(grace=2.0)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- LiteLLM's management API, as the admin ----
    def admin(self, path: str, body: dict[str, Any] | None = None, *, method: str = "POST", **params: Any) -> Any:
        r = httpx.request(
            method,
            self.base_url + path,
            json=body,
            params=params or None,
            timeout=30,
            headers={"Authorization": f"Bearer {self.master_key}"},
        )
        if r.status_code != 200:
            raise AssertionError(f"{method} {path} -> {r.status_code}: {r.text[:2000]}")
        return r.json()

    def new_team(self, **fields: Any) -> str:
        return str(self.admin("/team/new", fields)["team_id"])

    def new_user(self, **fields: Any) -> str:
        return str(self.admin("/user/new", fields)["user_id"])

    def new_key(self, **fields: Any) -> str:
        return str(self.admin("/key/generate", fields)["key"])

    # ---- what LiteLLM wrote ----
    def rows(self, sql: str) -> list[dict[str, Any]]:
        """The rows of one SELECT, as dicts (through psql's JSON output)."""
        out = self.cluster.psql(self.database, sql=f"SELECT COALESCE(json_agg(q), '[]') FROM ({sql}) q").strip()
        return json.loads(out)

    def spend_rows(self, key: str) -> list[dict[str, Any]]:
        """A virtual key's LiteLLM_SpendLogs rows, oldest first, with `metadata` parsed."""
        rows = self.rows(
            f'SELECT * FROM "LiteLLM_SpendLogs" WHERE api_key = {sql_text(token_hash(key))} ORDER BY "startTime"'
        )
        for row in rows:
            if isinstance(row.get("metadata"), str):
                row["metadata"] = json.loads(row["metadata"])
        return rows

    def value(self, sql: str) -> Any:
        """The single value of a one-row, one-column SELECT (None when there is no row)."""
        rows = self.rows(sql)
        return next(iter(rows[0].values())) if rows else None

    def key_spend(self, key: str) -> float:
        return float(
            self.value(f'SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = {sql_text(token_hash(key))}')
            or 0.0
        )

    def team_spend(self, team_id: str) -> float:
        return float(self.value(f'SELECT spend FROM "LiteLLM_TeamTable" WHERE team_id = {sql_text(team_id)}') or 0.0)

    def user_spend(self, user_id: str) -> float:
        return float(self.value(f'SELECT spend FROM "LiteLLM_UserTable" WHERE user_id = {sql_text(user_id)}') or 0.0)
