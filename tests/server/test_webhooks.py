"""Webhooks against a real HTTP receiver on loopback that fails the first attempts."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.support.dbdump import server_tables
from tests.support.factories import new_badge, scan
from tests.support.live import LiveServer

HALL_IN = "Prelude Hall Entrance"


@dataclass
class Receiver:
    fail_first: int
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.requests.append({"headers": dict(self.headers), "body": body})
                    ok = len(receiver.requests) > receiver.fail_first
                self.send_response(200 if ok else 503)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        return Handler


@pytest.fixture()
def receiver_factory() -> Iterator[Callable[[int], Receiver]]:
    servers: list[ThreadingHTTPServer] = []

    def make(fail_first: int) -> Receiver:
        receiver = Receiver(fail_first)
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), receiver.handler())
        receiver.url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return receiver

    yield make
    for httpd in servers:
        httpd.shutdown()


@pytest.fixture(scope="module")
def hook_server(db_kind: str) -> Iterator[LiveServer]:
    server = LiveServer(db_kind, attendees=5, env={"ADMIT_WORKER_INTERVAL_S": "0.2",
                                                   "ADMIT_WEBHOOK_BACKOFF_S": "0.2"}).start()
    yield server
    server.stop()


def _wait_for(check: Callable[[], bool], timeout_s: float = 60) -> None:
    """Poll a condition the server's worker makes true on its own schedule."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("the worker did not get there in time")


def test_signed_deliveries_retried_until_accepted(
        hook_server: LiveServer, receiver_factory: Callable[[int], Receiver]) -> None:
    receiver = receiver_factory(2)
    admin = hook_server.session("admin")
    created = admin.post(f"{hook_server.url}/api/v1/webhooks", json={
        "url": receiver.url, "events": ["scan.admitted", "alert.raised"]})
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    listed = admin.get(f"{hook_server.url}/api/v1/webhooks").json()["webhooks"]
    assert [h["secret"] for h in listed] == [None]  # shown once
    # Let the worker take its starting cursor before the scans it must deliver.
    _wait_for(lambda: "webhooks.scans" in "".join(server_tables(hook_server)["worker_cursors"]))

    badge = new_badge(hook_server)
    scan_id = str(uuid.uuid4())
    assert scan(hook_server, badge.code, HALL_IN, scan_id=scan_id)["verdict"] == "admit"
    assert scan(hook_server, badge.code, HALL_IN)["verdict"] == "deny"  # not subscribed

    def delivered() -> bool:
        with receiver.lock:
            return len(receiver.requests) >= 3
    _wait_for(delivered)
    with receiver.lock:
        got = list(receiver.requests)
    assert len({r["headers"]["X-Admit-Delivery"] for r in got[:3]}) == 1  # one delivery, retried
    last = got[2]
    body = json.loads(last["body"])
    assert body["type"] == "scan.admitted" and body["data"]["scan_id"] == scan_id
    assert body["data"]["attendee"]["id"] == badge.attendee_id
    t, v1 = (part.split("=", 1)[1] for part in last["headers"]["X-Admit-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{t}.".encode() + last["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(v1, expected)
    assert all(json.loads(r["body"])["type"] != "scan.denied" for r in got)

    def status_visible() -> bool:
        hook = admin.get(f"{hook_server.url}/api/v1/webhooks").json()["webhooks"][0]
        return hook["delivered"] >= 1 and hook["last"]["status_code"] == 200
    _wait_for(status_visible)
    hook_id = created.json()["id"]
    assert admin.delete(f"{hook_server.url}/api/v1/webhooks/{hook_id}").status_code == 200
    assert admin.get(f"{hook_server.url}/api/v1/webhooks").json()["webhooks"] == []
    assert admin.delete(f"{hook_server.url}/api/v1/webhooks/{hook_id}").status_code == 404


def test_queued_payloads_are_erased_with_the_person(
        hook_server: LiveServer, receiver_factory: Callable[[int], Receiver]) -> None:
    receiver = receiver_factory(10**6)  # never accepts: the deliveries stay queued
    admin = hook_server.session("admin")
    hook = admin.post(f"{hook_server.url}/api/v1/webhooks", json={
        "url": receiver.url, "events": ["scan.admitted"]}).json()
    _wait_for(lambda: "webhooks.scans" in "".join(server_tables(hook_server)["worker_cursors"]))
    name = f"Webhook Person {uuid.uuid4().hex[:8]}"
    badge = new_badge(hook_server, name=name)
    scan(hook_server, badge.code, HALL_IN)
    _wait_for(lambda: name in server_tables(hook_server)["webhook_deliveries"])
    resp = admin.post(f"{hook_server.url}/api/v1/attendees/{badge.attendee_id}/erase",
                      json={"reason": "asked to be forgotten"})
    assert resp.status_code == 200, resp.text
    tables = server_tables(hook_server)
    assert all(name not in text for text in tables.values())
    # Retries after the erasure carry no name either.
    before = len(receiver.requests)
    _wait_for(lambda: len(receiver.requests) > before)
    with receiver.lock:
        assert all(name.encode() not in r["body"] for r in receiver.requests[before:])
    admin.delete(f"{hook_server.url}/api/v1/webhooks/{hook['id']}")
