"""Gate-program test helpers and fixtures (used by tests/scanner and tests/e2e/test_gate_*):
one SQLite server for the session, fresh attendees and badges per test (so presence never
leaks between tests), gate apps in process and as subprocesses, the fault proxy."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from scanner_client.app import GateApp, Settings
from scanner_client.workers import WorkerManager
from tests.support.faultproxy import FaultProxy
from tests.support.live import ROOT, LiveServer

GATE = "Opening Ceremony Hall Entrance"
SECOND_GATE = "Opening Ceremony Hall East"
NAMES = itertools.cycle(["王伟", "محمد العتيبي", "Иван Петров", "François Dupont", "Nguyễn Văn An"])
_SEQ = itertools.count(1)


@dataclass
class Badge:
    attendee_id: int
    badge_id: int
    code: str
    name: str


@pytest.fixture(scope="session")
def gate_server() -> Iterator[LiveServer]:
    """The scanner tests' own SQLite server, with a second entrance to the same zone."""
    server = LiveServer("sqlite").start()
    admin = server.session("admin")
    admin.post(f"{server.url}/api/v1/gates",
               json={"name": SECOND_GATE, "zone": "Opening Ceremony Hall", "direction": "in"},
               timeout=10).raise_for_status()
    yield server
    server.stop()


def issue_badge(server: LiveServer, name: str | None = None, organization: str = "Test Org"
                ) -> Badge:
    admin = server.session("admin")
    name = name or next(NAMES)
    n = next(_SEQ)
    r = admin.post(f"{server.url}/api/v1/attendees", timeout=10, json={
        "name": name, "email": f"gate{n}-{id(server)}@test.example", "organization": organization,
        "access_level": "VIP Guest",
    })
    r.raise_for_status()
    attendee_id = r.json()["id"]
    b = admin.post(f"{server.url}/api/v1/attendees/{attendee_id}/badge", timeout=10)
    b.raise_for_status()
    return Badge(attendee_id, b.json()["id"], b.json()["code"], name)


@pytest.fixture
def make_badge(gate_server: LiveServer) -> Callable[..., Badge]:
    return lambda name=None, organization="Test Org": issue_badge(gate_server, name, organization)


def revoke(server: LiveServer, badge_id: int) -> None:
    server.session("admin").post(f"{server.url}/api/v1/badges/{badge_id}/revoke",
                                 json={"reason": "test"}, timeout=10).raise_for_status()


def alerts(server: LiveServer) -> list[dict[str, object]]:
    r = server.session("security").get(f"{server.url}/api/v1/alerts", timeout=10)
    r.raise_for_status()
    return list(r.json()["alerts"])


def server_scans(server: LiveServer, gate: str, limit: int = 1000) -> list[dict[str, object]]:
    r = server.session("security").get(f"{server.url}/api/v1/scans",
                                       params={"gate": gate, "limit": limit}, timeout=30)
    r.raise_for_status()
    return list(r.json()["scans"])


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
    factory = GateFactory(tmp_path, gate_server, proxy)
    yield factory
    factory.close()


def run_gate(server_url: str, token: str, source: str, data_dir: Path, *, gate: str = GATE,
             budget_ms: float = 300, timeout_s: float = 120, extra: tuple[str, ...] = ()
             ) -> list[dict[str, object]]:
    """The real CLI, headless; returns its verdict lines."""
    return run_gate_to_end(server_url, token, source, data_dir, gate=gate, budget_ms=budget_ms,
                           timeout_s=timeout_s, extra=extra)[0]


def run_gate_to_end(server_url: str, token: str, source: str, data_dir: Path, *,
                    gate: str = GATE, budget_ms: float = 300, timeout_s: float = 120,
                    extra: tuple[str, ...] = ()
                    ) -> tuple[list[dict[str, object]], dict[str, object]]:
    """The real CLI, headless; its verdict lines and its closing ``{"event": "end"}`` line."""
    proc = subprocess.run(
        [sys.executable, "-m", "scanner_client", "--server", server_url, "--token", token,
         "--gate", gate, "--source", source, "--data-dir", str(data_dir), "--headless",
         "--budget-ms", str(budget_ms), *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout_s,
    )
    assert proc.returncode == 0, proc.stderr
    ends = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith('{"event": "end"')]
    assert len(ends) == 1, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()], ends[0]


def wait_for(condition: Callable[[], object], timeout_s: float, what: str) -> None:
    """Poll a condition with a deadline (never a bare sleep as synchronisation)."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def get(session: requests.Session, url: str) -> object:
    r = session.get(url, timeout=10)
    r.raise_for_status()
    return r.json()
