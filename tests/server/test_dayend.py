"""Day's end (automatic check-out by the server's own worker, and `close-day`), annul,
and retention, on a server of their own (retention erases the whole event)."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator

import pytest
import requests

from tests.support.dbdump import server_tables
from tests.support.factories import new_badge, scan
from tests.support.live import LiveServer

HALL_IN = "Prelude Hall Entrance"


@pytest.fixture(scope="module")
def own_server(db_kind: str) -> Iterator[LiveServer]:
    server = LiveServer(db_kind, attendees=8, env={"ADMIT_WORKER_INTERVAL_S": "0.2"}).start()
    yield server
    server.stop()


def _occupancy(server: LiveServer, zone: str) -> int:
    zones = server.session("gate").get(f"{server.url}/api/v1/zones", timeout=10).json()["zones"]
    return next(int(z["occupancy"]) for z in zones if z["name"] == zone)


def _wait_for(check: object, timeout_s: float = 30) -> None:
    """Poll a condition the server's worker makes true (it runs on its own schedule)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("the worker did not get there in time")


def test_annul_within_60s_by_the_same_device(own_server: LiveServer) -> None:
    badge = new_badge(own_server)
    before = _occupancy(own_server, "Prelude Hall")
    scan_id = str(uuid.uuid4())
    assert scan(own_server, badge.code, HALL_IN, scan_id=scan_id)["verdict"] == "admit"
    assert _occupancy(own_server, "Prelude Hall") == before + 1
    url = f"{own_server.url}/api/v1/scans/{scan_id}/annul"
    other = own_server.session("admin").post(url)  # a different device
    assert other.status_code == 403, other.text
    resp = own_server.session("gate").post(url)
    assert resp.status_code == 200, resp.text
    entry = resp.json()
    assert entry["annuls"] == scan_id and entry["mode"] == "annul" and entry["reason"] == "annulled"
    assert _occupancy(own_server, "Prelude Hall") == before
    assert own_server.session("gate").post(url).status_code == 409  # once
    log = own_server.session("admin").get(f"{own_server.url}/api/v1/scans",
                                          params={"badge": badge.badge_id}).json()["scans"]
    assert {e["mode"] for e in log} == {"online", "annul"}
    # The person can come in again: presence went back.
    assert scan(own_server, badge.code, HALL_IN)["reason"] == "ok"


def test_annul_refused_after_a_later_scan_or_60s(own_server: LiveServer) -> None:
    badge = new_badge(own_server)
    first = str(uuid.uuid4())
    scan(own_server, badge.code, HALL_IN, scan_id=first)
    scan(own_server, badge.code, "Prelude Hall Exit")
    resp = own_server.session("gate").post(f"{own_server.url}/api/v1/scans/{first}/annul")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "later_scan_exists"
    late = new_badge(own_server)
    late_id = str(uuid.uuid4())
    scan(own_server, late.code, HALL_IN, scan_id=late_id)
    # Recorded 61 s ago as far as the server knows: move received_at back in the DB.
    _age_scan(own_server, late_id, dt.timedelta(seconds=61))
    resp = own_server.session("gate").post(f"{own_server.url}/api/v1/scans/{late_id}/annul")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "annul_too_late"


def _age_scan(server: LiveServer, scan_id: str, by: dt.timedelta) -> None:
    if server.db_kind == "sqlite":
        import sqlite3

        with sqlite3.connect(server.instance / "admit.db") as conn:
            conn.execute("UPDATE scans SET received_at = datetime(received_at, ?) WHERE scan_id = ?",
                         (f"-{int(by.total_seconds())} seconds", scan_id))
    else:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test") as conn:
            conn.execute(f'UPDATE "{server._schema}".scans SET received_at = received_at - %s '
                         "WHERE scan_id = %s", (by, scan_id))


def test_close_day_cli_checks_everyone_out(own_server: LiveServer) -> None:
    badge = new_badge(own_server)
    scan(own_server, badge.code, HALL_IN)
    assert _occupancy(own_server, "Prelude Hall") >= 1
    out = own_server.cli("close-day")
    assert int(out.split()[-1]) >= 1
    assert _occupancy(own_server, "Prelude Hall") == 0
    log = own_server.session("admin").get(f"{own_server.url}/api/v1/scans",
                                          params={"badge": badge.badge_id}).json()["scans"]
    assert log[0]["mode"] == "system" and log[0]["direction"] == "out"


def test_the_worker_checks_out_at_the_event_checkout_time(own_server: LiveServer) -> None:
    badge = new_badge(own_server)
    before = _occupancy(own_server, "Prelude Hall")  # others' tests may have left people in
    scan(own_server, badge.code, HALL_IN)
    assert _occupancy(own_server, "Prelude Hall") == before + 1
    admin = own_server.session("admin")
    # 00:00 event time has always passed today: the worker closes the day at its next tick.
    resp = admin.patch(f"{own_server.url}/api/v1/event", json={"checkout_time": "00:00"})
    assert resp.status_code == 200 and resp.json()["checkout_time"] == "00:00", resp.text
    _wait_for(lambda: _occupancy(own_server, "Prelude Hall") == 0)
    log = admin.get(f"{own_server.url}/api/v1/scans", params={"badge": badge.badge_id}).json()
    assert [e["mode"] for e in log["scans"]] == ["system", "online"]
    # Once a day: someone coming in afterwards stays in.
    later = new_badge(own_server)
    scan(own_server, later.code, HALL_IN)
    own_server.cli("run-jobs")
    assert _occupancy(own_server, "Prelude Hall") == 1


def test_retention_erases_the_event_when_due_and_audits_it(own_server: LiveServer) -> None:
    admin = own_server.session("admin")
    names = [a["name"] for a in admin.get(f"{own_server.url}/api/v1/attendees",
                                          params={"limit": 500}).json()["attendees"]]
    assert names
    event = admin.patch(f"{own_server.url}/api/v1/event", json={"retention_days": 2}).json()
    assert event["retention_days"] == 2 and event["erased_at"] is None
    sync = own_server.session("gate").get(f"{own_server.url}/api/v1/sync?limit=1").json()["event"]
    end = dt.date.fromisoformat(sync["end_date"])
    not_yet = dt.datetime.combine(end + dt.timedelta(days=2), dt.time(12), dt.UTC).isoformat()
    assert "retention=0" in own_server.cli("run-jobs", "--now", not_yet)
    due = dt.datetime.combine(end + dt.timedelta(days=3), dt.time(12), dt.UTC).isoformat()
    assert f"retention={len(names)}" in own_server.cli("run-jobs", "--now", due)
    assert admin.get(f"{own_server.url}/api/v1/attendees").json()["total"] == 0
    assert admin.get(f"{own_server.url}/api/v1/event").json()["erased_at"] is not None
    tables = server_tables(own_server)
    for name in names:
        assert all(name not in text for text in tables.values()), name
    assert "event.retention_erase" in tables["audit_log"]
    assert "retention: 2 days" in tables["audit_log"]
    requests.get(f"{own_server.url}/healthz", timeout=5).raise_for_status()
