"""The scan lane (server/lane.py), on SQLite and PostgreSQL: it answers a gate's online
scan exactly as the full Flask path does, and hands everything else to that path
untouched."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

from tests.support.factories import new_badge, new_device
from tests.support.inproc import AppServer

GATE = "Prelude Hall Entrance"


def _paths() -> dict[tuple[str, str], float]:
    counts: dict[tuple[str, str], float] = {}
    for metric in REGISTRY.collect():
        if metric.name == "admit_scan_path":
            for sample in metric.samples:
                if sample.name.endswith("_total"):
                    counts[(sample.labels["path"], sample.labels["why"])] = sample.value
    return counts


def _scan(server: AppServer, code: str, scan_id: str | None = None, *,
          token: str | None = None, **extra: Any) -> Any:
    session = server.session(None)
    session.headers["Authorization"] = f"Bearer {token or server.tokens['gate']}"
    body = {"scan_id": scan_id or str(uuid.uuid4()), "code": code, "gate": GATE, **extra}
    return session.post(f"{server.url}/api/v1/scans", json=body, timeout=10)


def _took(server: AppServer, send: Any) -> tuple[Any, dict[tuple[str, str], float]]:
    """The response, and which path (and why) answered it."""
    before = _paths()
    response = send()
    after = _paths()
    return response, {k: v - before.get(k, 0.0) for k, v in after.items() if v != before.get(k)}


@pytest.fixture
def lane_off(app_server: AppServer) -> Iterator[None]:
    app_server.app.config["SCAN_LANE"] = False
    try:
        yield
    finally:
        app_server.app.config["SCAN_LANE"] = True


def test_lane_answers_as_the_full_path_does(app_server: AppServer) -> None:
    first, second = new_badge(app_server), new_badge(app_server)
    _scan(app_server, first.code)  # the full path loads the gate and keys for this process
    lane, took = _took(app_server, lambda: _scan(app_server, second.code))
    assert took == {("lane", ""): 1.0}
    app_server.app.config["SCAN_LANE"] = False
    try:
        full, took_full = _took(app_server, lambda: _scan(app_server, new_badge(app_server).code))
    finally:
        app_server.app.config["SCAN_LANE"] = True
    assert took_full == {("full", "off"): 1.0}
    assert lane.status_code == full.status_code == 200
    ignore = {"Date", "Content-Length", "X-Request-ID"}
    assert ({k: v for k, v in lane.headers.items() if k not in ignore}
            == {k: v for k, v in full.headers.items() if k not in ignore})
    answer, reference = lane.json(), full.json()
    assert answer.keys() == reference.keys()
    assert answer["verdict"] == "admit" and answer["attendee"]["name"] == second.name
    assert answer["badge"]["number"] == second.number
    # Stored: a second scan of the same badge is refused as already inside.
    again = _scan(app_server, second.code)
    assert again.json()["reason"] == "already_inside"
    log = app_server.session("security").get(
        f"{app_server.url}/api/v1/scans", params={"badge": second.badge_id}).json()["scans"]
    assert [s["reason"] for s in log] == ["already_inside", "ok"]


def test_a_repeated_scan_id_gets_the_stored_answer(app_server: AppServer) -> None:
    badge = new_badge(app_server)
    _scan(app_server, new_badge(app_server).code)  # loads the process's caches
    scan_id = str(uuid.uuid4())
    first, took = _took(app_server, lambda: _scan(app_server, badge.code, scan_id))
    assert took == {("lane", ""): 1.0}
    retry, took = _took(app_server, lambda: _scan(app_server, badge.code, scan_id))
    assert took == {("full", "repeat_or_refused"): 1.0}
    assert retry.status_code == 200
    assert (retry.json()["verdict"], retry.json()["reason"]) == ("admit", "ok")
    assert retry.json()["duplicate"] is True and first.json()["duplicate"] is False


@pytest.mark.parametrize(("case", "why", "status", "code"), [
    ("typed number", "kind", 200, None),
    ("bad json", "body", 400, "bad_json"),
    ("naive time", "body", 422, "validation_failed"),
    ("offline scan", "kind", 200, None),
    ("revoked token", "token", 401, "bad_token"),
    ("query string", "request", 200, None),
])
def test_everything_else_takes_the_full_path(app_server: AppServer, case: str, why: str,
                                             status: int, code: str | None) -> None:
    badge = new_badge(app_server)
    url = f"{app_server.url}/api/v1/scans"
    session = app_server.session("gate")
    body: Any = {"scan_id": str(uuid.uuid4()), "code": badge.code, "gate": GATE}
    if case == "typed number":
        body["code"] = badge.number
    elif case == "offline scan":
        body.update(offline_verdict="admit", offline_reason="ok", mode="offline",
                    scanned_at="2026-01-01T10:00:00+00:00")
    elif case == "naive time":
        body["scanned_at"] = "2026-01-01T10:00:00"
    elif case == "revoked token":
        session.headers["Authorization"] = f"Bearer {new_device(app_server, revoked=True)[1]}"
    elif case == "query string":
        url += "?lang=en"

    def send() -> Any:
        if case == "bad json":
            return session.post(url, data=b'{"scan_id": "x", "code": "\x00"',
                                headers={"Content-Type": "application/json"}, timeout=10)
        return session.post(url, json=body, timeout=10)

    response, took = _took(app_server, send)
    assert took == {("full", why): 1.0}, took
    assert response.status_code == status, response.text
    if code is not None:
        assert response.json()["error"]["code"] == code


def test_request_id_and_security_headers(app_server: AppServer) -> None:
    _scan(app_server, new_badge(app_server).code)
    session = app_server.session("gate")
    body = {"scan_id": str(uuid.uuid4()), "code": new_badge(app_server).code, "gate": GATE}
    response, took = _took(app_server, lambda: session.post(
        f"{app_server.url}/api/v1/scans", json=body, headers={"X-Request-ID": "gate-7.42"},
        timeout=10))
    assert took == {("lane", ""): 1.0}
    assert response.headers["X-Request-ID"] == "gate-7.42"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    odd = session.post(f"{app_server.url}/api/v1/scans", json={**body, "scan_id": str(uuid.uuid4())},
                       headers={"X-Request-ID": "bad id\twith tab"}, timeout=10)
    assert odd.headers["X-Request-ID"] != "bad id\twith tab"
    assert len(odd.headers["X-Request-ID"]) == 32


@pytest.mark.parametrize("db_kind", ["postgres"], indirect=True)
def test_a_scan_that_loses_a_race_is_decided_again_under_lock(app_server: AppServer) -> None:
    """The lane reads presence without a lock and writes an admit only if presence is
    still as read. Here another transaction holds the presence row while the lane
    decides and then commits the person inside: the lane's write finds presence changed,
    writes nothing, and the locking path answers ``already_inside``."""
    import threading
    import time

    import psycopg

    badge = new_badge(app_server)
    assert _scan(app_server, badge.code).json()["reason"] == "ok"
    session = app_server.session("gate")
    out = session.post(f"{app_server.url}/api/v1/scans", timeout=10, json={
        "scan_id": str(uuid.uuid4()), "code": badge.code, "gate": "Prelude Hall Exit"})
    assert out.json()["verdict"] == "admit"  # outside again: the next entry would admit
    url = "postgresql://postgres@127.0.0.1:5432/test"
    with psycopg.connect(url, options=f"-c search_path={app_server._schema}") as other:
        other.execute("UPDATE presence SET inside = true, since = now() "
                      "WHERE attendee_id = %s", (badge.attendee_id,))  # holds the row
        answers: list[Any] = []
        before = _paths()
        lane = threading.Thread(target=lambda: answers.append(_scan(app_server, badge.code)))
        lane.start()
        deadline = time.monotonic() + 20
        with psycopg.connect(url) as watcher:
            while time.monotonic() < deadline:  # until the lane's write waits for the row
                waiting = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query LIKE 'WITH held AS%%'").fetchone()
                if waiting and waiting[0]:
                    break
        other.commit()
        lane.join(timeout=30)
    assert answers and answers[0].status_code == 200
    assert answers[0].json()["reason"] == "already_inside"
    after = _paths()
    assert after.get(("full", "race"), 0) - before.get(("full", "race"), 0) == 1
    log = app_server.session("security").get(
        f"{app_server.url}/api/v1/scans", params={"badge": badge.badge_id}).json()["scans"]
    assert [s["reason"] for s in log][:1] == ["already_inside"] and len(log) == 3
