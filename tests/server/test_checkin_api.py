"""Check-in through real HTTP to the production server, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid

from tests.support.factories import new_badge, scan
from tests.support.inproc import AppServer

HALL_IN, HALL_OUT = "Prelude Hall Entrance", "Prelude Hall Exit"
LOUNGE_IN = "VIP Lounge Entrance"


def test_entry_anti_passback_exit_and_occupancy(app_server: AppServer) -> None:
    badge = new_badge(app_server)
    zones = lambda: {z["name"]: z["occupancy"] for z in app_server.session("gate").get(  # noqa: E731
        f"{app_server.url}/api/v1/zones").json()["zones"]}
    before = zones()["Prelude Hall"]
    first = scan(app_server, badge.code, HALL_IN)
    assert (first["verdict"], first["reason"]) == ("admit", "ok")
    assert first["attendee"]["access_level"] == "VIP Guest"
    assert first["badge"]["number"] == badge.number
    assert zones()["Prelude Hall"] == before + 1
    again = scan(app_server, badge.code, HALL_IN)
    assert (again["verdict"], again["reason"]) == ("deny", "already_inside")
    out = scan(app_server, badge.code, HALL_OUT)
    assert (out["verdict"], out["reason"]) == ("admit", "ok")
    assert zones()["Prelude Hall"] == before
    out_again = scan(app_server, badge.code, HALL_OUT)
    assert (out_again["verdict"], out_again["reason"]) == ("admit", "not_inside")
    assert scan(app_server, badge.code, HALL_IN)["reason"] == "ok"


def test_reentry_zone_and_wrong_zone(app_server: AppServer) -> None:
    vip = new_badge(app_server)
    assert scan(app_server, vip.code, LOUNGE_IN)["reason"] == "ok"
    assert scan(app_server, vip.code, LOUNGE_IN)["reason"] == "ok"  # lounge allows re-entry
    exhibitor = new_badge(app_server, access_level="Exhibitor")
    assert scan(app_server, exhibitor.code, LOUNGE_IN)["reason"] == "wrong_zone"


def test_foreign_and_tampered_codes(app_server: AppServer) -> None:
    assert scan(app_server, "https://example.com", HALL_IN)["reason"] == "not_a_badge"
    badge = new_badge(app_server)
    # The last characters are the signature's low bytes: a well-formed badge, forged.
    tampered = badge.code[:-3] + ("AAA" if badge.code[-3:] != "AAA" else "BBB")
    assert scan(app_server, tampered, HALL_IN)["reason"] == "bad_signature"


def test_revoke_reissue_and_manual_number(app_server: AppServer) -> None:
    admin = app_server.session("admin")
    badge = new_badge(app_server)
    resp = admin.post(f"{app_server.url}/api/v1/badges/{badge.badge_id}/revoke",
                      json={"reason": "lost at hotel"})
    assert resp.status_code == 200 and resp.json()["status"] == "revoked"
    assert scan(app_server, badge.code, HALL_IN)["reason"] == "revoked"
    reissued = admin.post(f"{app_server.url}/api/v1/attendees/{badge.attendee_id}/badge").json()
    assert reissued["revision"] == 2 and reissued["code"] != badge.code
    assert reissued["number"] == badge.number  # the printed number stays with the person
    assert scan(app_server, badge.code, HALL_IN)["reason"] == "revoked"
    assert scan(app_server, reissued["code"], HALL_IN)["reason"] == "ok"
    lookup = app_server.session("security").get(
        f"{app_server.url}/api/v1/lookup", params={"code": badge.number}).json()
    assert lookup["attendee"]["id"] == badge.attendee_id
    assert [p["zone"] for p in lookup["attendee"]["inside"]] == ["Prelude Hall"]
    assert [s["reason"] for s in lookup["scans"]][:3] == ["ok", "revoked", "revoked"]


def test_access_change_reissues_badge(app_server: AppServer) -> None:
    badge = new_badge(app_server)
    resp = app_server.session("admin").patch(
        f"{app_server.url}/api/v1/attendees/{badge.attendee_id}", json={"access_level": "Exhibitor"})
    assert resp.status_code == 200
    assert resp.json()["badge"]["revision"] == 2
    assert scan(app_server, badge.code, LOUNGE_IN)["reason"] == "revoked"


def test_scan_id_is_idempotent_and_logged(app_server: AppServer) -> None:
    badge = new_badge(app_server)
    gate = app_server.session("gate")
    body = {"scan_id": str(uuid.uuid4()), "code": badge.code, "gate": HALL_IN}
    first = gate.post(f"{app_server.url}/api/v1/scans", json=body).json()
    second = gate.post(f"{app_server.url}/api/v1/scans", json=body).json()
    assert first["reason"] == second["reason"] == "ok"
    assert (first["duplicate"], second["duplicate"]) == (False, True)
    log = app_server.session("security").get(
        f"{app_server.url}/api/v1/scans", params={"badge": badge.badge_id}).json()["scans"]
    assert len(log) == 1 and log[0]["code"] == badge.code and log[0]["device"] == "test gate"


def test_offline_batch_conflicts(app_server: AppServer) -> None:
    badge = new_badge(app_server)
    revoked = new_badge(app_server)
    at = lambda s: (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=s)).isoformat()  # noqa: E731
    app_server.session("admin").post(f"{app_server.url}/api/v1/badges/{revoked.badge_id}/revoke",
                                   json={"reason": "withdrawn"})
    scans = [
        {"scan_id": str(uuid.uuid4()), "code": badge.code, "gate": "Made in China Showcase Entrance",
         "scanned_at": at(30), "offline_verdict": "admit", "offline_reason": "ok"}
        for _ in range(2)
    ] + [{"scan_id": str(uuid.uuid4()), "code": revoked.code, "gate": "Prelude Hall Entrance",
          "scanned_at": at(-2), "offline_verdict": "admit", "offline_reason": "ok"}]
    scans[0]["scanned_at"] = at(40)
    resp = app_server.session("gate").post(f"{app_server.url}/api/v1/scans/batch",
                                            json={"scans": scans})
    assert resp.status_code == 200, resp.text
    results = {r["scan_id"]: r for r in resp.json()["results"]}
    assert all(r["verdict"] == "admit" for r in results.values())  # what happened stands
    assert results[scans[2]["scan_id"]]["conflict"] == "admitted_after_revocation"
    alerts = app_server.session("security").get(f"{app_server.url}/api/v1/alerts").json()["alerts"]
    kinds = {(a["badge_id"], a["kind"]) for a in alerts}
    assert (revoked.badge_id, "admitted_after_revocation") in kinds
    assert (badge.badge_id, "double_admit") in kinds
    again = app_server.session("gate").post(f"{app_server.url}/api/v1/scans/batch",
                                             json={"scans": scans}).json()["results"]
    assert all(r["duplicate"] for r in again)


def test_key_rotation_and_retirement(app_server: AppServer) -> None:
    old = new_badge(app_server)
    app_server.cli("rotate-key")
    new = new_badge(app_server)
    assert scan(app_server, old.code, HALL_IN)["reason"] == "ok"
    assert scan(app_server, new.code, HALL_IN)["reason"] == "ok"
    keys = app_server.session("admin").get(f"{app_server.url}/api/v1/keys").json()["keys"]
    assert len([k for k in keys if k["active"]]) == 2  # the seeded key and the new one
    app_server.cli("rotate-key", "--retire-previous")
    assert scan(app_server, old.code, "Prelude Hall Exit")["reason"] == "unknown_key"
    # a key retired since the other tests issued their badges: reissue everyone
    app_server.cli("issue-badges", "--reissue")


def test_search_any_script_accents_ignored(app_server: AppServer) -> None:
    sec = app_server.session("security")
    for name, query in [("Jürgen Weiß", "jurgen"), ("王晓明", "晓明"), ("محمد العتيبي", "العتيبي"),
                        ("Екатерина Смирнова", "смирнова"), ("Nguyễn Văn An", "nguyen van")]:
        created = new_badge(app_server, name=name)
        found = sec.get(f"{app_server.url}/api/v1/attendees", params={"q": query}).json()
        assert created.attendee_id in [a["id"] for a in found["attendees"]], (name, query)


def test_typed_badge_number_stands_for_the_current_badge(app_server: AppServer) -> None:
    badge = new_badge(app_server)
    typed = scan(app_server, badge.number, "Regional Manufacturing Entrance")
    assert (typed["verdict"], typed["reason"]) == ("admit", "ok")
    assert typed["attendee"]["id"] == badge.attendee_id
    wrong_check_digit = badge.number[:-1] + str((int(badge.number[-1]) + 1) % 10)
    assert scan(app_server, wrong_check_digit, "Regional Manufacturing Entrance")["reason"] == "not_a_badge"
    app_server.session("admin").post(f"{app_server.url}/api/v1/badges/{badge.badge_id}/revoke",
                                   json={"reason": "withdrawn"})
    assert scan(app_server, badge.number, "Regional Manufacturing Exit")["reason"] == "ok"
    assert scan(app_server, badge.number, "Regional Manufacturing Entrance")["reason"] == "revoked"


def test_batch_upload_of_many_is_idempotent(app_server: AppServer) -> None:
    codes = [new_badge(app_server).code for _ in range(5)]
    now = dt.datetime.now(dt.UTC)
    scans = [{"scan_id": str(uuid.uuid4()), "code": codes[i % 5], "gate": "Prelude Hall Entrance",
              "scanned_at": (now - dt.timedelta(seconds=600 - i)).isoformat(),
              "offline_verdict": "admit" if i < 5 else "deny",
              "offline_reason": "ok" if i < 5 else "already_inside"} for i in range(450)]
    gate = app_server.session("gate")
    first = gate.post(f"{app_server.url}/api/v1/scans/batch", json={"scans": scans[:300]}).json()
    assert len(first["results"]) == 300 and not any(r["duplicate"] for r in first["results"])
    second = gate.post(f"{app_server.url}/api/v1/scans/batch", json={"scans": scans}).json()
    assert sum(r["duplicate"] for r in second["results"]) == 300
    assert len(second["results"]) == 450
    bad = gate.post(f"{app_server.url}/api/v1/scans/batch", json={"scans": [
        {**scans[0], "scan_id": str(uuid.uuid4()), "gate": "No Such Gate"}]})
    assert bad.status_code == 404 and bad.json()["error"]["code"] == "unknown_gate"


def test_supervisor_override_is_logged_with_who_and_why(app_server: AppServer) -> None:
    badge = new_badge(app_server, access_level="Exhibitor")
    sec = app_server.session("security")
    url = f"{app_server.url}/api/v1/attendees/{badge.attendee_id}/override"
    assert scan(app_server, badge.code, LOUNGE_IN)["reason"] == "wrong_zone"
    refused = sec.post(url, json={"action": "force_admit", "gate": LOUNGE_IN, "reason": ""})
    assert refused.status_code == 422  # no reason, no override
    forced = sec.post(url, json={"action": "force_admit", "gate": LOUNGE_IN,
                                 "reason": "minister's aide, cleared by protocol"})
    assert forced.status_code == 200, forced.text
    assert [p["zone"] for p in forced.json()["inside"]] == ["VIP Lounge"]
    log = sec.get(f"{app_server.url}/api/v1/scans", params={"attendee": badge.attendee_id}).json()
    top = log["scans"][0]
    assert (top["mode"], top["reason"], top["device"]) == ("override", "forced", None)
    assert top["actor"] == "token:test security" and "protocol" in top["note"]
    reset = sec.post(url, json={"action": "reset_presence", "reason": "left by the service door"})
    assert reset.status_code == 200 and reset.json()["inside"] == []
