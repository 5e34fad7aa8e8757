"""Real server processes for tests: the production command (python -m server.serve) on SQLite or on the
machine's PostgreSQL (database ``test``, a fresh schema per run)."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import requests

if TYPE_CHECKING:
    from tests.support.inproc import AppServer

ROOT = Path(__file__).resolve().parents[2]
# Tests share one gate token per server: the typed-number limit is tested on a server of
# its own (tests/server/test_scan_privacy.py), every other server lifts it.
TEST_LIMITS = {"TYPED_NUMBERS_PER_MINUTE": "100000", "LOGIN_RATE_LIMIT": "10000 per minute"}
PG_BASE = os.environ.get("ADMIT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pg_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def new_pg_schema() -> tuple[str, str]:
    """A fresh schema in database ``test``; returns (DATABASE_URL, schema)."""
    import psycopg

    schema = f"admit_{secrets.token_hex(4)}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return f"{PG_BASE}?options=-csearch_path%3D{schema}", schema


def drop_pg_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@dataclass
class LiveServer:
    db_kind: str
    attendees: int = 60
    workers: int = 2
    threads: int = 8
    env: dict[str, str] = field(default_factory=dict)
    # Another server command for a benchmark's baseline; {bind}, {workers} and {threads}
    # are filled in. None: the production command.
    command: list[str] | None = None
    url: str = ""
    tokens: dict[str, str] = field(default_factory=dict)
    instance: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="admit-")))
    _proc: subprocess.Popen[bytes] | None = None
    _schema: str | None = None
    log_path: Path | None = None

    def __post_init__(self) -> None:
        if self.db_kind == "postgres":
            self.database_url, self._schema = new_pg_schema()
        else:
            self.database_url = f"sqlite:///{self.instance / 'admit.db'}"
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "ADMIT_INSTANCE": str(self.instance),
            "SECRET_KEY": "test-secret",
            "PYTHONPATH": str(ROOT),
            **TEST_LIMITS,
            **self.env,
        }
        self.env.pop("SMTP_HOST", None)

    def cli(self, *args: str, check: bool = True, input: str | None = None) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "server", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, input=input, timeout=300,
        )
        if check and proc.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout + proc.stderr if not check else proc.stdout

    def seed(self) -> LiveServer:
        """The demo event and a token per role, made in this process by the same CLI
        commands: four fewer interpreter starts (each imports the whole app) per server."""
        from tests.support.inproc import AppServer

        seeder = AppServer(self.db_kind, self.instance, attendees=self.attendees, env=self.env,
                           database_url=self.database_url).start()
        self.tokens = seeder.tokens
        seeder.stop()
        return self

    def attached(self) -> AppServer:
        """The app in this process on this server's database and tokens, for a test's
        setup (the server need not run); stop() it after use."""
        from tests.support.inproc import AppServer

        app = AppServer(self.db_kind, self.instance, env=self.env,
                        database_url=self.database_url).start(seed=False)
        app.tokens = self.tokens
        return app

    def setup_cli(self, *args: str) -> str:
        """A CLI command for a test's setup, run in this process on this database;
        ``cli()`` is the real command line, for tests about the CLI itself."""
        app = self.attached()
        try:
            return app.cli(*args)
        finally:
            app.stop()

    def start(self) -> LiveServer:
        self.seed()
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {**self.env, "ADMIT_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(self.workers),
               "ADMIT_THREADS": str(self.threads)}
        self.log_path = self.instance / "server.log"
        log = self.log_path.open("wb")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "server.serve"] if self.command is None else
            [part.format(bind=f"127.0.0.1:{port}", workers=self.workers, threads=self.threads)
             for part in self.command],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log_path.read_text()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)  # polling for readiness, not synchronising test logic
        raise RuntimeError(f"server did not come up:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGTERM)
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
        if self._schema:
            drop_pg_schema(self._schema)
        shutil.rmtree(self.instance, ignore_errors=True)

    def session(self, role: str | None) -> requests.Session:
        s = requests.Session()
        if role:
            s.headers["Authorization"] = f"Bearer {self.tokens[role]}"
        return s
