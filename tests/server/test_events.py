"""Several events on one server, over HTTP on both databases: scoping of badges, gates and
gate devices; setup edits; changes that reissue badges only when confirmed."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import requests

from tests.support.factories import new_badge
from tests.support.live import LiveServer

TZ = "America/Los_Angeles"  # not the demo's (Asia/Shanghai), not the server's


def _today() -> dt.date:
    return dt.datetime.now(ZoneInfo(TZ)).date()


def _ok(resp: requests.Response, status: int = 200) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    return dict(resp.json())


def _event(server: LiveServer) -> tuple[int, dict[str, Any]]:
    """A side conference with one zone, two gates, a level and a badge holder."""
    admin = server.session("admin")
    u = server.url
    start = _today() - dt.timedelta(days=1)
    created = _ok(admin.post(f"{u}/api/v1/events", json={
        "name": f"Side conference {uuid.uuid4().hex[:6]}", "venue": "Hall 9", "timezone": TZ,
        "start_date": start.isoformat(), "end_date": (start + dt.timedelta(days=3)).isoformat(),
        "languages": ["en", "fr"]}), 201)
    eid = created["id"]
    q = f"?event={eid}"
    _ok(admin.post(f"{u}/api/v1/zones{q}", json={"name": "Main Hall"}), 201)
    _ok(admin.post(f"{u}/api/v1/zones{q}", json={"name": "Workshop"}), 201)
    gate = _ok(admin.post(f"{u}/api/v1/gates{q}", json={"name": "Main Door", "zone": "Main Hall"}), 201)
    _ok(admin.post(f"{u}/api/v1/access-levels{q}", json={
        "name": "Attendee", "zones": ["Main Hall"],
        "days": [(start + dt.timedelta(days=i)).isoformat() for i in range(4)]}), 201)
    person = _ok(admin.post(f"{u}/api/v1/attendees{q}", json={
        "name": "Side Person", "email": f"{uuid.uuid4().hex[:8]}@side.example",
        "access_level": "Attendee"}), 201)
    badge = _ok(admin.post(f"{u}/api/v1/attendees/{person['id']}/badge{q}"), 201)
    device = _ok(admin.post(f"{u}/api/v1/devices{q}", json={"name": "side laptop"}), 201)
    return eid, {"gate": gate, "badge": badge, "person": person, "device": device, "start": start}


def _bearer(token: str) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    return s


def _scan(session: requests.Session, url: str, code: str, gate: str | int) -> requests.Response:
    return session.post(f"{url}/api/v1/scans", json={
        "scan_id": str(uuid.uuid4()), "code": code, "gate": str(gate)}, timeout=10)


def test_events_are_listed_and_unknown_ones_refused(live_server: LiveServer) -> None:
    eid, _ = _event(live_server)
    admin = live_server.session("admin")
    listed = _ok(admin.get(f"{live_server.url}/api/v1/events"))
    assert eid in [e["id"] for e in listed["events"]]
    assert listed["default_event"] != eid  # the first event stays the default
    one = _ok(admin.get(f"{live_server.url}/api/v1/events/{eid}"))
    assert one["timezone"] == TZ and one["languages"] == ["en", "fr"]
    zones = _ok(admin.get(f"{live_server.url}/api/v1/zones?event={eid}"))["zones"]
    assert [z["name"] for z in zones] == ["Main Hall", "Workshop"]
    demo_zones = _ok(admin.get(f"{live_server.url}/api/v1/zones"))["zones"]
    assert "Main Hall" not in [z["name"] for z in demo_zones]
    for bad in ("999999", "abc"):
        resp = admin.get(f"{live_server.url}/api/v1/zones?event={bad}")
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "unknown_event"
    resp = admin.post(f"{live_server.url}/api/v1/events", json={
        "name": "x", "timezone": "Mars/Olympus", "start_date": "2027-01-02", "end_date": "2027-01-01"})
    assert resp.status_code == 422


def test_badge_of_one_event_is_denied_at_another_events_gate(live_server: LiveServer) -> None:
    eid, side = _event(live_server)
    u = live_server.url
    side_gate = _bearer(side["device"]["token"])
    # Its own badge at its own gate, named by id: admitted.
    admitted = _ok(_scan(side_gate, u, side["badge"]["code"], side["gate"]["id"]))
    assert admitted["verdict"] == "admit", admitted
    # A demo badge at the side event's gate, and the side badge at a demo gate: the key
    # ring of the gate's event answers.
    demo_badge = new_badge(live_server)
    denied = _ok(_scan(side_gate, u, demo_badge.code, side["gate"]["id"]))
    assert denied["verdict"] == "deny" and denied["reason"] in ("bad_signature", "unknown_key")
    demo_gate = live_server.session("gate")
    denied = _ok(_scan(demo_gate, u, side["badge"]["code"], "Prelude Hall Entrance"))
    assert denied["verdict"] == "deny" and denied["reason"] in ("bad_signature", "unknown_key")


def test_gate_device_cannot_sync_or_scan_in_another_event(live_server: LiveServer) -> None:
    eid, side = _event(live_server)
    u = live_server.url
    side_gate = _bearer(side["device"]["token"])
    feed = _ok(side_gate.get(f"{u}/api/v1/sync"))
    assert feed["event"]["id"] == eid and feed["event"]["timezone"] == TZ
    assert side["badge"]["id"] in [b["badge_id"] for b in feed["badges"]]
    demo_id = _ok(live_server.session("admin").get(f"{u}/api/v1/events"))["default_event"]
    resp = side_gate.get(f"{u}/api/v1/sync?event={demo_id}")
    assert resp.status_code == 403, resp.text
    # A demo gate (by name or by id) does not exist inside the side event.
    demo_gates = _ok(live_server.session("admin").get(f"{u}/api/v1/gates"))["gates"]
    for ref in ("Prelude Hall Entrance", demo_gates[0]["id"]):
        resp = _scan(side_gate, u, side["badge"]["code"], ref)
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "unknown_gate"
    resp = side_gate.post(f"{u}/api/v1/scans?event={demo_id}", json={
        "scan_id": str(uuid.uuid4()), "code": side["badge"]["code"], "gate": "Prelude Hall Entrance"})
    assert resp.status_code == 403


def test_renamed_gate_still_takes_queued_scans_and_deactivation(live_server: LiveServer) -> None:
    eid, side = _event(live_server)
    u = live_server.url
    admin = live_server.session("admin")
    renamed = _ok(admin.patch(f"{u}/api/v1/gates/{side['gate']['id']}", json={"name": "North Door"}))
    assert renamed["name"] == "North Door"
    queued = {"scan_id": str(uuid.uuid4()), "code": side["badge"]["code"], "gate": "Main Door",
              "scanned_at": dt.datetime.now(dt.UTC).isoformat(), "offline_verdict": "admit",
              "offline_reason": "ok"}
    out = _ok(_bearer(side["device"]["token"]).post(f"{u}/api/v1/scans/batch",
                                                     json={"scans": [queued]}))
    assert out["results"][0]["gate"] == "North Door"
    zones = _ok(admin.get(f"{u}/api/v1/zones?event={eid}"))["zones"]
    workshop = next(z for z in zones if z["name"] == "Workshop")
    changed = _ok(admin.patch(f"{u}/api/v1/zones/{workshop['id']}",
                              json={"active": False, "name": "Workshop Room", "capacity": 30}))
    assert changed["active"] is False and changed["name"] == "Workshop Room"
    assert changed["capacity"] == 30
    assert admin.patch(f"{u}/api/v1/zones/999999", json={"active": False}).status_code == 404


def test_a_deactivated_gate_admits_no_one_until_it_is_active_again(live_server: LiveServer) -> None:
    _eid, side = _event(live_server)
    u = live_server.url
    admin = live_server.session("admin")
    gate = _bearer(side["device"]["token"])
    code = side["badge"]["code"]
    _ok(admin.patch(f"{u}/api/v1/gates/{side['gate']['id']}", json={"active": False}))
    refused = _ok(_scan(gate, u, code, "Main Door"))
    assert (refused["verdict"], refused["reason"]) == ("deny", "device_not_allowed"), refused
    out = gate.post(f"{u}/api/v1/scans", timeout=10, json={
        "scan_id": str(uuid.uuid4()), "code": code, "gate": "Main Door", "direction": "out"})
    assert (_ok(out)["verdict"], _ok(out)["reason"]) == ("deny", "device_not_allowed")
    queued = {"scan_id": str(uuid.uuid4()), "code": code, "gate": "Main Door",
              "scanned_at": dt.datetime.now(dt.UTC).isoformat(), "offline_verdict": "admit",
              "offline_reason": "ok"}
    upload = _ok(gate.post(f"{u}/api/v1/scans/batch", json={"scans": [queued]}, timeout=10))
    # What the gate showed offline is kept in the log's note; the refusal is what stands.
    assert upload["results"][0]["reason"] == "device_not_allowed", upload
    _ok(admin.patch(f"{u}/api/v1/gates/{side['gate']['id']}", json={"active": True}))
    admitted = _ok(_scan(gate, u, code, "Main Door"))
    assert (admitted["verdict"], admitted["reason"]) == ("admit", "ok"), admitted


def test_level_change_needs_confirmation_and_reissues_its_badges(live_server: LiveServer) -> None:
    eid, side = _event(live_server)
    u = live_server.url
    admin = live_server.session("admin")
    level = _ok(admin.get(f"{u}/api/v1/access-levels?event={eid}"))["access_levels"][0]
    # A colour is not in the code: nothing to confirm, nothing reissued.
    plain = _ok(admin.patch(f"{u}/api/v1/access-levels/{level['id']}", json={"colour": "#00aa00"}))
    assert plain["reissued_badges"] == []
    body: dict[str, Any] = {"zones": ["Main Hall", "Workshop"]}
    refused = admin.patch(f"{u}/api/v1/access-levels/{level['id']}", json=body)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "confirmation_required"
    assert refused.json()["error"]["details"]["affected_badges"] == 1
    unchanged = _ok(admin.get(f"{u}/api/v1/access-levels?event={eid}"))["access_levels"][0]
    assert unchanged["zones"] == ["Main Hall"]  # the refusal changed nothing
    done = _ok(admin.patch(f"{u}/api/v1/access-levels/{level['id']}", json={**body, "confirm": True}))
    assert done["reissued_badges"] == [side["badge"]["id"]] and done["zones"] == ["Main Hall", "Workshop"]
    old = _ok(_scan(_bearer(side["device"]["token"]), u, side["badge"]["code"], side["gate"]["id"]))
    assert old["reason"] == "revoked"


def test_event_dates_and_time_zone_need_confirmation(live_server: LiveServer) -> None:
    eid, side = _event(live_server)
    u = live_server.url
    admin = live_server.session("admin")
    new_end = (side["start"] + dt.timedelta(days=1)).isoformat()  # drops days 3 and 4
    refused = admin.patch(f"{u}/api/v1/events/{eid}", json={"end_date": new_end})
    assert refused.status_code == 409
    assert refused.json()["error"]["details"]["affected_badges"] == 1
    assert _ok(admin.get(f"{u}/api/v1/events/{eid}"))["end_date"] != new_end
    done = _ok(admin.patch(f"{u}/api/v1/events/{eid}", json={"end_date": new_end, "confirm": True}))
    assert done["reissued_badges"] == [side["badge"]["id"]]
    badge = _ok(admin.get(f"{u}/api/v1/badges/{side['badge']['id']}?event={eid}"))
    assert badge["revision"] == 2 and len(badge["days"]) == 2
    # A new time zone changes no code but must be confirmed; a new name needs nothing.
    refused = admin.patch(f"{u}/api/v1/events/{eid}", json={"timezone": "Europe/Paris"})
    assert refused.status_code == 409
    assert refused.json()["error"]["details"]["affected_badges"] == 0
    tz = _ok(admin.patch(f"{u}/api/v1/events/{eid}", json={"timezone": "Europe/Paris", "confirm": True}))
    assert tz["timezone"] == "Europe/Paris" and tz["reissued_badges"] == []
    assert _ok(admin.patch(f"{u}/api/v1/events/{eid}", json={"name": "Renamed"}))["name"] == "Renamed"
