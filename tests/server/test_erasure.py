"""Erasure: after POST /attendees/{id}/erase nothing anywhere names the person: not a
table of either database, not the gate's store after its next sync, not the outbox
mails, not the API or an export. The scan log keeps counting them by badge id."""

from __future__ import annotations

import uuid
from pathlib import Path

from scanner_client.store import GateStore, QueuedScan
from scanner_client.sync import SyncEngine
from scanner_client.transport import DeadlineClient
from tests.support.dbdump import server_tables, sqlite_file_tables
from tests.support.factories import new_badge, scan
from tests.support.live import LiveServer

HALL_IN, SECOND_IN = "Opening Ceremony Hall Entrance", "Prelude Hall Entrance"


def _gate_sync(server: LiveServer, store: GateStore) -> None:
    engine = SyncEngine(DeadlineClient(server.url, server.tokens["gate"]), store)
    engine.run_once()


def _offline_admit(store: GateStore, code: str, gate: str) -> None:
    import datetime as dt

    from shared import Direction, Reason, Verdict

    store.record_verdict(QueuedScan(
        scan_id=str(uuid.uuid4()), code=code, gate=gate, direction=Direction.IN,
        scanned_at=dt.datetime.now(dt.UTC), offline_verdict=Verdict.ADMIT,
        offline_reason=Reason.OK), None)


def test_erase_removes_the_person_everywhere(live_server: LiveServer, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    name, org = f"Erasmus Zhang {tag}", f"Unique Org {tag}"
    email = f"erase-{tag}@example.org"
    badge = new_badge(live_server, name=name, organization=org, email=email, country="FR")
    admin = live_server.session("admin")
    url = live_server.url
    # Leave traces everywhere: an online admit, an offline admit from a gate's outbox
    # (a conflict: an alert names the person), an override whose reason names them, a
    # badge mail in the outbox, the gate's cached record.
    assert scan(live_server, badge.code, SECOND_IN)["verdict"] == "admit"
    store = GateStore(tmp_path / "gate.sqlite3")
    try:
        _offline_admit(store, badge.code, SECOND_IN)
        _gate_sync(live_server, store)
        assert store.badge(badge.badge_id) is not None and store.badge(badge.badge_id).sealed
        resp = admin.post(f"{url}/api/v1/attendees/{badge.attendee_id}/override", json={
            "action": "reset_presence", "reason": f"{name} asked at the desk"})
        assert resp.status_code == 200, resp.text
        resp = admin.post(f"{url}/api/v1/attendees/{badge.attendee_id}/send-badge")
        assert resp.status_code == 200 and resp.json()["state"] == "sent", resp.text
        outbox = live_server.instance / "outbox"
        assert any(email.encode() in p.read_bytes() for p in outbox.glob("*.eml"))
        alerts = admin.get(f"{url}/api/v1/alerts").json()["alerts"]
        assert any(name in a["message"] for a in alerts)

        before = admin.get(f"{url}/api/v1/attendees/{badge.attendee_id}/export").json()
        assert before["attendee"]["name"] == name and len(before["scans"]) == 2

        resp = admin.post(f"{url}/api/v1/attendees/{badge.attendee_id}/erase",
                          json={"reason": f"request by {name} (GDPR art. 17)"})
        assert resp.status_code == 200, resp.text
        assert resp.json() == {"attendee_id": badge.attendee_id, "badge_id": badge.badge_id,
                               "erased": True}
        _gate_sync(live_server, store)
        record = store.badge(badge.badge_id)
    finally:
        store.close()

    needles = [name, email, org, badge.code, f"Zhang {tag}"]
    for table, text in server_tables(live_server).items():
        for needle in needles:
            assert needle not in text, f"{needle!r} still in table {table}"
    for table, text in sqlite_file_tables(tmp_path / "gate.sqlite3").items():
        for needle in needles:
            assert needle not in text, f"{needle!r} still in the gate's {table}"
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("gate.sqlite3*"))
    assert badge.code.encode() not in raw
    assert record is not None and record.revoked and record.sealed is None
    for path in (live_server.instance / "outbox").glob("*"):
        data = path.read_bytes()
        assert email.encode() not in data and badge.code.encode() not in data, path.name

    # The API shows nothing; the scan log still counts the badge.
    assert admin.get(f"{url}/api/v1/attendees/{badge.attendee_id}").status_code == 404
    assert admin.get(f"{url}/api/v1/attendees", params={"q": name}).json()["total"] == 0
    assert admin.get(f"{url}/api/v1/lookup", params={"code": badge.code}).status_code == 404
    assert admin.get(f"{url}/api/v1/badges/{badge.badge_id}").status_code == 404
    log = admin.get(f"{url}/api/v1/scans", params={"badge": badge.badge_id}).json()["scans"]
    assert len(log) == 2 and all(e["code"] == "[erased]" for e in log)
    export = admin.get(f"{url}/api/v1/exports/scans.csv").content.decode("utf-8-sig")
    attendees = admin.get(f"{url}/api/v1/exports/attendees.csv").content.decode("utf-8-sig")
    for needle in needles:
        assert needle not in export and needle not in attendees
    assert admin.get(f"{url}/api/v1/attendees/{badge.attendee_id}/export").status_code == 404
    # A second erase is a 404; the address is free again for a new registration.
    again = admin.post(f"{url}/api/v1/attendees/{badge.attendee_id}/erase", json={"reason": "again"})
    assert again.status_code == 404
    assert admin.post(f"{url}/api/v1/attendees", json={
        "name": "Someone Else", "email": email, "access_level": "Delegate"}).status_code == 201
    # The erased badge's code is refused (online), and says nothing about who held it.
    denied = scan(live_server, badge.code, HALL_IN)
    assert (denied["verdict"], denied["reason"]) == ("deny", "revoked")
    assert all(n not in str(denied) for n in needles)


def test_erase_needs_a_reason_and_an_admin(live_server: LiveServer) -> None:
    badge = new_badge(live_server)
    url = f"{live_server.url}/api/v1/attendees/{badge.attendee_id}/erase"
    assert live_server.session("admin").post(url, json={}).status_code == 422
    assert live_server.session("security").post(url, json={"reason": "because"}).status_code == 403


def test_deleted_attendee_can_still_be_erased(live_server: LiveServer) -> None:
    badge = new_badge(live_server, name=f"Deleted Person {uuid.uuid4().hex[:6]}")
    admin = live_server.session("admin")
    assert admin.delete(f"{live_server.url}/api/v1/attendees/{badge.attendee_id}").status_code == 200
    resp = admin.post(f"{live_server.url}/api/v1/attendees/{badge.attendee_id}/erase",
                      json={"reason": "deleted and asked to be forgotten"})
    assert resp.status_code == 200, resp.text
