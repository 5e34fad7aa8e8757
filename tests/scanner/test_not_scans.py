"""Input that must not become a scan (issue 9): a 429 on a typed number asks staff to
wait instead of falling back to offline; the gate's own enrolment QR code (a live device
token) is recognised and never sent, queued or logged."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scanner_client.outcomes import ENROLMENT_CODE_NOTE, GateNotice
from scanner_client.transport import DeadlineClient
from scanner_client.verdicts import OnlineClient
from shared import format_badge_number
from tests.conftest import GateFactory
from tests.support.factories import Badge, server_scans
from tests.support.faultproxy import FaultProxy
from tests.support.gate import GATE, run_gate_to_end
from tests.support.live import LiveServer


class RateLimitedServer(ThreadingHTTPServer):
    """A real HTTP server on loopback that answers every scan as the server's typed-number
    limit will: 429, the error envelope, Retry-After in seconds."""

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        self.scans = 0
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: RateLimitedServer

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.scans += 1
        body = json.dumps({"error": {"code": "rate_limited", "message": "typed numbers: 10 a minute",
                                     "details": None}}).encode()
        self.send_response(429)
        self.send_header("Content-Type", "application/json")
        self.send_header("Retry-After", str(self.server.retry_after_s))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def limited() -> Iterator[RateLimitedServer]:
    server = RateLimitedServer(retry_after_s=42)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_rate_limited_typed_number_says_wait_and_stays_online(
    gate_app: GateFactory, make_badge: Callable[..., Badge], limited: RateLimitedServer,
    gate_server: LiveServer,
) -> None:
    badge = make_badge()
    app = gate_app(workers=False)  # enrolled and synced: the badge is in the cache
    assert app.store.badge(badge.badge_id) is not None
    app.online = OnlineClient(DeadlineClient(limited.url, gate_server.tokens["gate"]))
    outcome = app.submit(format_badge_number(badge.badge_id))
    assert limited.scans == 1
    assert isinstance(outcome, GateNotice)
    assert (outcome.kind, outcome.retry_after_s) == ("rate_limited", 42)
    assert outcome.message == "Too many typed numbers, wait 42 s"
    # No offline fallback: nothing decided, queued or moved, and the gate stays online.
    assert not app.breaker.is_open
    assert app.state().queued == 0
    assert not app.store.is_inside(badge.badge_id, app.gate.zone_slot if app.gate else 0,
                                   app.offline.today(app.clock()))
    assert outcome.as_json()["notice"] == "rate_limited"


def enrolment_text(server: LiveServer) -> str:
    return json.dumps({"server": server.url, "token": server.tokens["gate"], "gate": GATE})


@pytest.mark.parametrize("link", ["pass", "refuse"])
def test_own_enrolment_code_is_not_a_scan(
    link: str, gate_app: GateFactory, proxy: FaultProxy, gate_server: LiveServer
) -> None:
    app = gate_app(workers=False)
    proxy.set_mode(link)
    connections = proxy.connections
    outcome = app.submit(enrolment_text(gate_server))
    assert isinstance(outcome, GateNotice)
    assert (outcome.kind, outcome.message) == ("enrolment_code", ENROLMENT_CODE_NOTE)
    assert proxy.connections == connections  # never sent
    assert app.state().queued == 0 and app.state().set_aside == 0  # never kept
    assert gate_server.tokens["gate"].encode() not in b"".join(
        p.read_bytes() for p in app.store.path.parent.glob("gate.sqlite3*"))


def test_headless_run_passes_over_the_enrolment_code(
    gate_server: LiveServer, make_badge: Callable[..., Badge], tmp_path: Path
) -> None:
    badge = make_badge()
    codes = tmp_path / "codes.txt"
    codes.write_text(f"{enrolment_text(gate_server)}\n{badge.code}\n")
    lines, end = run_gate_to_end(gate_server.url, gate_server.tokens["gate"], f"codes:{codes}",
                                 tmp_path / "gate")
    assert lines[0]["notice"] == "enrolment_code" and "verdict" not in lines[0]
    assert (lines[1]["verdict"], lines[1]["badge_id"]) == ("admit", badge.badge_id)
    assert end["queued"] == 0
    logged = [str(s["code"]) for s in server_scans(gate_server, GATE, limit=50)]
    assert not any(gate_server.tokens["gate"] in code for code in logged)
