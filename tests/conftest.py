"""Fixtures shared by all tests. Each server starts once per session:

- ``app_server``: the app in this process (Flask test client) on SQLite and PostgreSQL,
  for what one request proves: validation, role answers, service logic.
- ``live_server``: the production server command on SQLite and PostgreSQL, for the real
  HTTP path and really concurrent requests.
- ``gate_server``: the gate program's own server on SQLite (with a second entrance to
  the hall), behind a fault proxy per test (``proxy``), for tests/scanner and tests/e2e.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scanner_client.app import GateApp, Settings
from scanner_client.workers import WorkerManager
from tests.support.factories import Badge, new_badge
from tests.support.faultproxy import FaultProxy
from tests.support.gate import GATE, SECOND_GATE
from tests.support.inproc import AppServer
from tests.support.live import LiveServer, pg_available

DB_KINDS = ["sqlite", "postgres"]


def pytest_sessionstart(session: pytest.Session) -> None:
    # `make setup` compiles the gettext catalogues; a bare `pytest` (or a fresh checkout)
    # must not test an untranslated dashboard because the .mo files are missing or stale.
    from server.web.i18n import compile_catalogues

    compile_catalogues()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # In CI PostgreSQL is part of the machine: a missing server is a failure, not a skip.
    if os.environ.get("CI") != "true" and not pg_available():
        skip = pytest.mark.skip(reason="PostgreSQL not reachable on 127.0.0.1:5432 (local run)")
        for item in items:
            if "postgres" in item.keywords or "[postgres" in item.nodeid:
                item.add_marker(skip)


@pytest.fixture(scope="session", params=DB_KINDS)
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def app_server(db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The app in this process, per database, seeded with the demo event."""
    server = AppServer(db_kind, tmp_path_factory.mktemp(f"app-{db_kind}")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def live_server(db_kind: str) -> Iterator[LiveServer]:
    """One server (python -m server.serve) per database for the whole session (seeded demo event)."""
    server = LiveServer(db_kind).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def gate_server() -> Iterator[LiveServer]:
    """The gate tests' own SQLite server, with a second entrance to the same zone."""
    server = LiveServer("sqlite").start()
    admin = server.session("admin")
    admin.post(f"{server.url}/api/v1/gates",
               json={"name": SECOND_GATE, "zone": "Opening Ceremony Hall", "direction": "in"},
               timeout=10).raise_for_status()
    yield server
    server.stop()


@pytest.fixture
def make_badge(gate_server: LiveServer) -> Callable[..., Badge]:
    """A fresh badge on the gate server per call, so presence never leaks between tests."""
    def make(name: str | None = None, organization: str = "Test Org") -> Badge:
        return new_badge(gate_server, organization=organization, **({"name": name} if name else {}))
    return make


@pytest.fixture
def proxy(gate_server: LiveServer) -> Iterator[FaultProxy]:
    parts = urlsplit(gate_server.url)
    fp = FaultProxy(parts.hostname or "127.0.0.1", int(parts.port or 80))
    yield fp
    fp.close()


class GateFactory:
    """Makes started gate apps (enrolled and synced through the proxy), each with its
    WorkerManager (started unless ``workers=False``); stops and closes them all after."""

    def __init__(self, tmp_path: Path, server: LiveServer, proxy: FaultProxy) -> None:
        self.tmp_path, self.server, self.proxy = tmp_path, server, proxy
        self.made: list[tuple[GateApp, WorkerManager]] = []

    def __call__(self, gate: str = GATE, budget_ms: float = 300.0, name: str = "a",
                 workers: bool = True, clock: Callable[[], dt.datetime] | None = None,
                 staff: bool = False, camera_silence_s: float = 5.0) -> GateApp:
        settings = Settings(server=self.proxy.url, token=self.server.tokens["gate"], gate=gate,
                            data_dir=self.tmp_path / name, budget_ms=budget_ms,
                            probe_interval_s=0.1, sync_interval_s=0.5, sync_request_s=2.0,
                            staff_token=self.server.tokens["security"] if staff else None,
                            camera_silence_s=camera_silence_s)
        app = GateApp(settings, clock=clock) if clock else GateApp(settings)
        app.start()
        manager = WorkerManager(app)
        if workers:
            manager.start()
        self.made.append((app, manager))
        return app

    def workers_of(self, app: GateApp) -> WorkerManager:
        return next(m for a, m in self.made if a is app)

    def close(self) -> None:
        for app, manager in self.made:
            manager.stop()
            app.close()


@pytest.fixture
def gate_app(tmp_path: Path, gate_server: LiveServer, proxy: FaultProxy) -> Iterator[GateFactory]:
    """Started gate apps (enrolled and synced through the proxy), with their workers."""
    factory = GateFactory(tmp_path, gate_server, proxy)
    yield factory
    factory.close()
