"""What a client can send never makes a 500: control characters (NUL first, which
PostgreSQL refuses in text), digits from other scripts, times at the end of the calendar.
Each answers a 4xx with the envelope, on both databases; in a batch the bad scan is
refused on its own and the rest is stored."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from tests.support.factories import new_badge, scan, server_scans
from tests.support.inproc import AppServer
from tests.support.signin import signed_in

HALL_IN = "Prelude Hall Entrance"
CONTROLS = ["\x00", "\x1b", "\x7f", "\x85", "\r\n"]


def _scan_body(code: str, gate: str = HALL_IN, **extra: Any) -> dict[str, Any]:
    return {"scan_id": str(uuid.uuid4()), "code": code, "gate": gate, **extra}


def _refused(resp: Any) -> str:
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)
    return str(resp.json()["error"]["code"])


@pytest.mark.parametrize("char", CONTROLS, ids=repr)
def test_control_characters_in_a_scan_are_refused(app_server: AppServer, char: str) -> None:
    gate = app_server.session("gate")
    url = f"{app_server.url}/api/v1/scans"
    badge = new_badge(app_server)
    _refused(gate.post(url, json=_scan_body(badge.code + char)))
    _refused(gate.post(url, json=_scan_body(f"ADM1{char}XYZ")))
    _refused(gate.post(url, json=_scan_body(badge.code, gate=f"Prelude{char}Hall")))


@pytest.mark.parametrize("char", CONTROLS, ids=repr)
def test_control_characters_in_query_strings_are_refused(app_server: AppServer,
                                                         char: str) -> None:
    sec = app_server.session("security")
    _refused(sec.get(f"{app_server.url}/api/v1/attendees", params={"q": f"a{char}b"}))
    _refused(sec.get(f"{app_server.url}/api/v1/scans", params={"gate": f"a{char}b"}))


def test_a_bad_scan_in_a_batch_is_refused_alone_and_the_rest_stored(
        app_server: AppServer) -> None:
    first, second = new_badge(app_server), new_badge(app_server)
    now = dt.datetime.now(dt.UTC).isoformat()
    offline = {"scanned_at": now, "offline_verdict": "admit", "offline_reason": "ok"}
    scans = [_scan_body(first.code, **offline), _scan_body(first.code + "\x00", **offline),
             _scan_body(second.code, **offline)]
    resp = app_server.session("gate").post(f"{app_server.url}/api/v1/scans/batch",
                                           json={"scans": scans})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [r["scan_id"] for r in body["results"]] == [scans[0]["scan_id"], scans[2]["scan_id"]]
    assert [r["scan_id"] for r in body["refused"]] == [scans[1]["scan_id"]]
    assert body["refused"][0]["error"]["code"] == "validation_failed"
    assert len(server_scans(app_server, badge=second.badge_id)) == 1


@pytest.mark.parametrize("gate", ["²", "١٢", "99999999999999999999999", "-1"])
def test_odd_gate_references_are_not_found(app_server: AppServer, gate: str) -> None:
    badge = new_badge(app_server)
    resp = app_server.session("gate").post(f"{app_server.url}/api/v1/scans",
                                           json=_scan_body(badge.code, gate=gate))
    assert _refused(resp) == "unknown_gate"
    resp = app_server.session("security").get(f"{app_server.url}/api/v1/scans",
                                              params={"gate": gate})
    assert _refused(resp) == "unknown_gate"


@pytest.mark.parametrize("typed", ["²²²²²²-²", "١٢٣٤٥٦-٧", "１２３４５６-７", "000001-8²"])
def test_badge_numbers_in_other_digits_are_not_a_badge(app_server: AppServer, typed: str) -> None:
    answer = scan(app_server, typed, HALL_IN)
    assert (answer["verdict"], answer["reason"]) == ("deny", "not_a_badge")
    resp = app_server.session("security").post(f"{app_server.url}/api/v1/lookup",
                                                json={"code": typed})
    assert _refused(resp) == "unknown_badge"


def test_scanned_at_at_the_end_of_the_calendar(app_server: AppServer) -> None:
    badge = new_badge(app_server)
    end = "9999-12-31T23:59:59Z"
    assert scan(app_server, badge.code, HALL_IN, scanned_at=end)["reason"] == "ok"
    resp = app_server.session("gate").post(f"{app_server.url}/api/v1/scans/batch", json={
        "scans": [_scan_body(badge.code, gate="Prelude Hall Exit", scanned_at=end,
                             offline_verdict="admit", offline_reason="ok")]})
    assert resp.status_code == 200, resp.text
    resp = app_server.session("gate").post(f"{app_server.url}/api/v1/devices/heartbeat",
                                           json={"queued_scans": 0, "clock": end,
                                                 "last_sync_at": end})
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize("page", ["²", "١", "99999999999999999999", "-3"])
def test_odd_page_numbers_on_the_dashboard(app_server: AppServer, page: str) -> None:
    web = signed_in(app_server, "admin")
    resp = web.get(f"{app_server.url}/admin/attendees", params={"page": page})
    assert resp.status_code < 500, resp.text


@pytest.mark.parametrize("path", ["/dashboard/search", "/admin/attendees"])
def test_control_characters_in_dashboard_searches(app_server: AppServer, path: str) -> None:
    web = signed_in(app_server, "admin")
    resp = web.get(f"{app_server.url}{path}", params={"q": "a\x00b"})
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text[:300])
