"""The server process itself (``python -m server.serve``): a worker killed outright costs
no scan after it and is replaced; the server stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.factories import new_badge
from tests.support.live import LiveServer

EXIT = "Prelude Hall Exit"  # exits always admit


def _workers(master: int) -> set[int]:
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines()
                          if ":" in line)
        except OSError:
            continue  # ended meanwhile
        if fields.get("PPid", "").strip() == str(master):
            found.add(int(fields["Pid"]))
    return found


def _scan(server: LiveServer, code: str) -> requests.Response:
    # A new connection each time: a kept one would always reach the same worker.
    return requests.post(f"{server.url}/api/v1/scans", timeout=30,
                         headers={"Authorization": f"Bearer {server.tokens['gate']}",
                                  "Connection": "close"},
                         json={"scan_id": str(uuid.uuid4()), "code": code, "gate": EXIT})


@pytest.fixture
def server() -> Iterator[LiveServer]:
    live = LiveServer("sqlite", attendees=5, workers=2, threads=2).start()
    yield live
    live.stop()


def _wait_for(condition: object, limit_s: float = 30.0) -> bool:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)  # polling a process table, not synchronising test logic
    return False


def test_a_killed_worker_costs_no_later_scan_and_is_replaced(server: LiveServer) -> None:
    assert server._proc is not None
    master = server._proc.pid
    assert _wait_for(lambda: len(_workers(master)) == 2)
    badge = new_badge(server)
    victim = min(_workers(master))
    os.kill(victim, signal.SIGKILL)
    assert _wait_for(lambda: victim not in _workers(master))
    answers = [_scan(server, badge.code).status_code for _ in range(20)]
    assert answers == [200] * 20
    assert _wait_for(lambda: len(_workers(master)) == 2), "the killed worker was not replaced"
    assert victim not in _workers(master)
    assert server._proc.poll() is None
    assert [_scan(server, badge.code).status_code for _ in range(10)] == [200] * 10


def test_sigterm_stops_the_server_and_its_workers(server: LiveServer) -> None:
    assert server._proc is not None
    master = server._proc.pid
    assert _wait_for(lambda: len(_workers(master)) == 2)
    workers = _workers(master)
    os.kill(master, signal.SIGTERM)
    assert server._proc.wait(timeout=30) == 0
    assert _wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers))


def test_a_body_left_unread_does_not_cost_the_next_request_on_the_connection(
        server: LiveServer) -> None:
    """An early refusal (bad token, wrong role) leaves the request body unread. The next
    request a keep-alive client sends on that connection must be answered, not cut
    (the server reads the rest); a body too big for that says ``Connection: close``."""
    from server.security import DRAIN_LIMIT

    with requests.Session() as client:
        for size in (10, 200_000, DRAIN_LIMIT):
            for token in ("bogus", server.tokens["admin"]):  # 401 and 403, body unread
                refused = client.post(f"{server.url}/api/v1/devices/heartbeat", data=b"x" * size,
                                      headers={"Authorization": f"Bearer {token}",
                                               "Content-Type": "application/json"}, timeout=30)
                assert refused.status_code in (401, 403)
                assert refused.headers.get("Connection") != "close"
                assert client.get(f"{server.url}/healthz", timeout=30).status_code == 200
        big = client.post(f"{server.url}/api/v1/devices/heartbeat", timeout=30,
                          data=b"x" * (DRAIN_LIMIT + 1), headers={"Authorization": "Bearer bogus"})
        assert big.status_code == 401
        assert big.headers.get("Connection") == "close"
        assert client.get(f"{server.url}/healthz", timeout=30).status_code == 200
