"""Time and presence: online scans are decided and logged at the server's clock (the gate's
kept as ``device_time``); offline scans keep the gate's time, clamped to when it can be
true; presence never moves into the future, so anti-passback holds whatever a gate's
clock says. Both databases."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from tests.support.factories import new_badge, scan, server_scans
from tests.support.inproc import AppServer
from tests.support.signin import signed_in

HALL_IN, HALL_OUT = "Prelude Hall Entrance", "Prelude Hall Exit"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _offline(server: AppServer, code: str, gate: str, at: dt.datetime, verdict: str = "admit",
             reason: str = "ok") -> dict[str, Any]:
    body = {"scans": [{"scan_id": str(uuid.uuid4()), "code": code, "gate": gate,
                       "scanned_at": at.isoformat(), "offline_verdict": verdict,
                       "offline_reason": reason}]}
    resp = server.session("gate").post(f"{server.url}/api/v1/scans/batch", json=body)
    assert resp.status_code == 200, resp.text
    return dict(resp.json()["results"][0])


def _inside_since(server: AppServer, attendee_id: int) -> list[dt.datetime]:
    body = server.session("security").get(f"{server.url}/api/v1/attendees/{attendee_id}").json()
    return [dt.datetime.fromisoformat(p["since"]) for p in body["inside"]]


def test_online_entry_dated_tomorrow_is_decided_and_logged_at_server_time(
        app_server: AppServer) -> None:
    badge = new_badge(app_server)
    tomorrow = _now() + dt.timedelta(days=1)
    entry = scan(app_server, badge.code, HALL_IN, scanned_at=tomorrow.isoformat())
    assert entry["reason"] == "ok"
    assert dt.datetime.fromisoformat(entry["scanned_at"]) <= _now()
    assert all(since <= _now() for since in _inside_since(app_server, badge.attendee_id))
    logged = server_scans(app_server, badge=badge.badge_id)[0]
    assert dt.datetime.fromisoformat(logged["scanned_at"]) <= _now()
    assert dt.datetime.fromisoformat(logged["device_time"]) == tomorrow  # kept for the record
    # Anti-passback holds: the exit clears presence, the next entry admits, the one after denies.
    assert scan(app_server, badge.code, HALL_OUT)["reason"] == "ok"
    assert scan(app_server, badge.code, HALL_IN)["reason"] == "ok"
    assert scan(app_server, badge.code, HALL_IN)["reason"] == "already_inside"


def test_batch_exit_dated_2099_does_not_allow_unlimited_reentry(app_server: AppServer) -> None:
    badge = new_badge(app_server)
    assert scan(app_server, badge.code, HALL_IN)["reason"] == "ok"
    far = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
    exit_ = _offline(app_server, badge.code, HALL_OUT, far)
    assert dt.datetime.fromisoformat(exit_["scanned_at"]) <= _now()  # clamped to receipt
    assert scan(app_server, badge.code, HALL_IN)["reason"] == "ok"
    assert scan(app_server, badge.code, HALL_IN)["reason"] == "already_inside"
    assert all(since <= _now() for since in _inside_since(app_server, badge.attendee_id))
    logged = server_scans(app_server, badge=badge.badge_id)
    assert [dt.datetime.fromisoformat(s["device_time"]) for s in logged
            if s["mode"] == "offline"] == [far]


def test_the_end_of_time_is_clamped_not_a_500(app_server: AppServer) -> None:
    badge = new_badge(app_server)
    end = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
    assert _offline(app_server, badge.code, HALL_IN, end)["verdict"] == "admit"
    assert scan(app_server, badge.code, HALL_OUT, scanned_at=end.isoformat())["reason"] == "ok"


def test_offline_time_is_clamped_to_a_day_before_the_last_sync(app_server: AppServer) -> None:
    badge = new_badge(app_server)
    long_ago = dt.datetime(2001, 1, 1, tzinfo=dt.UTC)
    answer = _offline(app_server, badge.code, HALL_IN, long_ago)
    floor = _now() - dt.timedelta(hours=24, minutes=5)
    assert dt.datetime.fromisoformat(answer["scanned_at"]) >= floor


def test_a_gate_clock_ten_minutes_fast_keeps_anti_passback(app_server: AppServer) -> None:
    badge = new_badge(app_server)
    fast = _now() + dt.timedelta(minutes=10)
    # Offline entry on a fast clock, then the person leaves through an online exit.
    assert _offline(app_server, badge.code, HALL_IN, fast)["verdict"] == "admit"
    assert scan(app_server, badge.code, HALL_OUT, scanned_at=fast.isoformat())["reason"] == "ok"
    assert _inside_since(app_server, badge.attendee_id) == []
    assert scan(app_server, badge.code, HALL_IN, scanned_at=fast.isoformat())["reason"] == "ok"
    assert scan(app_server, badge.code, HALL_IN)["reason"] == "already_inside"


def test_a_gate_clock_ten_minutes_slow_keeps_anti_passback(app_server: AppServer) -> None:
    badge = new_badge(app_server)
    slow = lambda: (_now() - dt.timedelta(minutes=10)).isoformat()  # noqa: E731
    assert scan(app_server, badge.code, HALL_IN, scanned_at=slow())["reason"] == "ok"
    assert scan(app_server, badge.code, HALL_IN, scanned_at=slow())["reason"] == "already_inside"
    assert scan(app_server, badge.code, HALL_OUT, scanned_at=slow())["reason"] == "ok"
    assert _inside_since(app_server, badge.attendee_id) == []
    assert scan(app_server, badge.code, HALL_IN, scanned_at=slow())["reason"] == "ok"


def test_measured_clock_skew_is_on_the_dashboard(app_server: AppServer) -> None:
    admin = app_server.session("admin")
    made = admin.post(f"{app_server.url}/api/v1/devices",
                      json={"name": "skewed gate", "role": "gate", "gate": None}).json()
    gate = app_server.session(None)
    gate.headers["Authorization"] = f"Bearer {made['token']}"
    beat = gate.post(f"{app_server.url}/api/v1/devices/heartbeat", json={
        "queued_scans": 0, "clock": (_now() + dt.timedelta(minutes=9)).isoformat()})
    assert beat.status_code == 200, beat.text
    web = signed_in(app_server, "admin")
    overview = web.get(f"{app_server.url}/dashboard/overview.json").json()
    row = next(g for g in overview["gates"] if g["device"] == "skewed gate")
    assert row["clock_note"] == "clock 9 min fast"
    devices_page = web.get(f"{app_server.url}/admin/devices").text
    assert "clock 9 min fast" in devices_page
