"""The server in the test process: the app from ``create_app`` on a SQLite file or a fresh
PostgreSQL schema, reached through Flask's test client.

A ``requests`` adapter hands each request to the test client, so a test reads the same
as against a live server (``server.session("admin").post(f"{server.url}/...")``) and the
factories serve both. Use it for what one request proves (validation, role answers,
service logic); concurrency, process kills and the real HTTP path stay on ``LiveServer``.
"""

from __future__ import annotations

import gzip
import logging
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import requests
from flask import Flask
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from server import create_app
from server.extensions import db
from tests.support.live import TEST_LIMITS, drop_pg_schema, new_pg_schema

HOST = "http://admit.test"


class FlaskClientAdapter(BaseAdapter):
    """Sends a prepared ``requests`` request through ``app.test_client()``.

    Cookies live in the test client (one per session), as a browser's would."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.client = app.test_client()

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        parts = urlsplit(request.url or "")
        answer = self.client.open(parts.path, method=request.method or "GET",
                                  query_string=parts.query, headers=dict(request.headers),
                                  data=request.body)
        response = requests.Response()
        response.status_code = answer.status_code
        response.reason = answer.status.partition(" ")[2]
        response.headers = CaseInsensitiveDict(answer.headers)
        data = answer.get_data()
        if answer.headers.get("Content-Encoding") == "gzip":
            data = gzip.decompress(data)  # as urllib3 does on a real socket
        response._content = data
        response._content_consumed = True
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


def _keep_logging() -> dict[str, bool]:
    # Alembic's fileConfig() disables every logger that exists when migrations run; in
    # the test process that would silence the gate's loggers for later tests.
    return {name: lg.disabled for name, lg in logging.Logger.manager.loggerDict.items()
            if isinstance(lg, logging.Logger)}


def _restore_logging(before: dict[str, bool], root_handlers: list[logging.Handler],
                     root_level: int) -> None:
    for name, disabled in before.items():
        logging.getLogger(name).disabled = disabled
    root = logging.getLogger()
    root.handlers[:] = root_handlers
    root.setLevel(root_level)


@dataclass
class AppServer:
    """The same surface as ``LiveServer`` (url, tokens, session, cli, database_url,
    instance) plus ``app`` itself."""

    db_kind: str
    instance: Path
    attendees: int = 60
    env: dict[str, str] = field(default_factory=dict)
    url: str = HOST
    tokens: dict[str, str] = field(default_factory=dict)
    database_url: str = ""
    _schema: str | None = None
    app: Flask = field(init=False)

    def start(self, seed: bool = True) -> AppServer:
        """Build the app; ``seed`` creates the demo event and a token per role (without
        it, a second app opens the same SQLite file, e.g. with other settings)."""
        # A given database_url belongs to someone else (LiveServer seeds its own this way).
        if not self.database_url and self.db_kind == "postgres":
            self.database_url, self._schema = new_pg_schema()
        elif not self.database_url:
            self.database_url = f"sqlite:///{self.instance / 'admit.db'}"
        # Config reads SECRET_KEY and friends from the environment when it is built.
        with mock.patch.dict(os.environ, {"SECRET_KEY": "test-secret", **TEST_LIMITS, **self.env}):
            os.environ.pop("SMTP_HOST", None)
            self.app = create_app({"SQLALCHEMY_DATABASE_URI": self.database_url,
                                   "INSTANCE_PATH": str(self.instance)})
        if not seed:
            return self
        loggers, root = _keep_logging(), logging.getLogger()
        handlers, level = list(root.handlers), root.level
        try:
            self.cli("seed-demo", "--attendees", str(self.attendees))
        finally:
            _restore_logging(loggers, handlers, level)
        for role in ("admin", "security", "gate"):
            self.tokens[role] = self.cli("create-token", "--role", role, "--name",
                                         f"test {role}").strip().splitlines()[-1]
        return self

    def cli(self, *args: str, check: bool = True, input: str | None = None) -> str:
        """``flask --app server ARGS`` in this process (same commands, same output)."""
        result = self.app.test_cli_runner().invoke(args=list(args), input=input)
        if check and result.exit_code != 0:
            unexpected = "" if isinstance(result.exception, SystemExit) else repr(result.exception)
            raise RuntimeError(f"flask {shlex.join(args)} failed:\n{result.output}{unexpected}")
        return result.output

    def session(self, role: str | None) -> requests.Session:
        s = requests.Session()
        s.mount(HOST, FlaskClientAdapter(self.app))
        if role:
            s.headers["Authorization"] = f"Bearer {self.tokens[role]}"
        return s

    def stop(self) -> None:
        with self.app.app_context():
            db.engine.dispose()
        if self._schema:
            drop_pg_schema(self._schema)
