"""Personal data on the scan path: only an admit says who the person is; a deleted attendee
answers nothing personal anywhere; typed numbers are rate limited per device (shared by
all workers) and audited; what is not a badge is kept as a prefix and a hash; full codes
stay out of URLs and database error messages. Both databases."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from server.extensions import db
from server.models import AuditEntry
from tests.support.factories import Badge, new_badge, new_device, revoke, scan, server_scans
from tests.support.inproc import AppServer
from tests.support.live import LiveServer

HALL_IN, HALL_OUT, LOUNGE_IN = "Prelude Hall Entrance", "Prelude Hall Exit", "VIP Lounge Entrance"


def _deny_setup(server: AppServer, reason: str) -> tuple[Badge, str, requests.Session]:
    """A badge, a gate and a gate session under which a scan is denied for ``reason``."""
    admin, gate = server.session("admin"), server.session("gate")
    if reason == "revoked":
        badge = new_badge(server)
        revoke(server, badge.badge_id)
        return badge, HALL_IN, gate
    if reason == "wrong_zone":
        return new_badge(server, access_level="Exhibitor"), LOUNGE_IN, gate
    if reason == "already_inside":
        badge = new_badge(server)
        assert scan(server, badge.code, HALL_IN)["reason"] == "ok"
        return badge, HALL_IN, gate
    if reason == "device_not_allowed":
        _, token = new_device(server, "Press Center Entrance")
        bound = server.session(None)
        bound.headers["Authorization"] = f"Bearer {token}"
        return new_badge(server), HALL_IN, bound
    if reason == "not_valid_today":
        levels = admin.get(f"{server.url}/api/v1/access-levels").json()["access_levels"]
        days = next(lv["days"] for lv in levels if lv["name"] == "VIP Guest")
        return new_badge(server, days=[days[-1]]), HALL_IN, gate
    assert reason == "zone_full"
    levels = admin.get(f"{server.url}/api/v1/access-levels").json()["access_levels"]
    days = next(lv["days"] for lv in levels if lv["name"] == "VIP Guest")
    room = f"Full Room {uuid.uuid4().hex[:6]}"
    for path, body in [("zones", {"name": room, "capacity": 0}),
                       ("gates", {"name": f"{room} Entrance", "zone": room}),
                       ("access-levels", {"name": room, "zones": [room], "days": days})]:
        resp = admin.post(f"{server.url}/api/v1/{path}", json=body)
        assert resp.status_code == 201, resp.text
    return new_badge(server, access_level=room), f"{room} Entrance", gate


DENIES = ["revoked", "wrong_zone", "already_inside", "device_not_allowed", "not_valid_today",
          "zone_full"]


@pytest.mark.parametrize("reason", DENIES)
def test_a_deny_answers_the_reason_and_the_badge_number_only(app_server: AppServer,
                                                             reason: str) -> None:
    badge, gate, session = _deny_setup(app_server, reason)
    for code in (badge.code, badge.number):
        body = {"scan_id": str(uuid.uuid4()), "code": code, "gate": gate}
        answer = session.post(f"{app_server.url}/api/v1/scans", json=body).json()
        assert (answer["verdict"], answer["reason"]) == ("deny", reason), answer
        assert answer["attendee"] is None
        assert answer["badge"]["number"] == badge.number
        assert badge.name not in json.dumps(answer, ensure_ascii=False)
        retry = session.post(f"{app_server.url}/api/v1/scans", json=body).json()
        assert retry["duplicate"] and retry["attendee"] is None


def test_a_batch_answer_names_no_one(app_server: AppServer) -> None:
    badge = new_badge(app_server)
    resp = app_server.session("gate").post(f"{app_server.url}/api/v1/scans/batch", json={"scans": [
        {"scan_id": str(uuid.uuid4()), "code": badge.number, "gate": HALL_IN}]})
    [result] = resp.json()["results"]
    assert result["verdict"] == "admit" and result["attendee"] is None


def test_a_deleted_attendee_answers_nothing_personal(app_server: AppServer) -> None:
    badge = new_badge(app_server, name=f"Deleted Person {uuid.uuid4().hex[:6]}")
    assert scan(app_server, badge.code, HALL_IN)["attendee"]["name"] == badge.name
    # an offline admit after revocation raises an alert naming the badge
    resp = app_server.session("admin").delete(
        f"{app_server.url}/api/v1/attendees/{badge.attendee_id}")
    assert resp.status_code == 200, resp.text
    batch = app_server.session("gate").post(f"{app_server.url}/api/v1/scans/batch", json={
        "scans": [{"scan_id": str(uuid.uuid4()), "code": badge.code, "gate": "Press Center Entrance",
                   "offline_verdict": "admit", "offline_reason": "ok"}]})
    assert batch.status_code == 200, batch.text
    answers = [scan(app_server, badge.code, HALL_OUT), scan(app_server, badge.code, HALL_IN),
               scan(app_server, badge.number, HALL_IN)]
    assert answers[0]["verdict"] == "admit"  # an exit still lets them out
    sec = app_server.session("security")
    seen = [json.dumps(answers, ensure_ascii=False),
            json.dumps(server_scans(app_server, badge=badge.badge_id), ensure_ascii=False),
            sec.post(f"{app_server.url}/api/v1/lookup", json={"code": badge.code}).text,
            sec.post(f"{app_server.url}/api/v1/lookup", json={"code": badge.number}).text,
            sec.get(f"{app_server.url}/api/v1/alerts", params={"all": "true"}).text]
    assert any(badge.number in s for s in seen[:2])
    for shown in seen:
        assert badge.name not in shown


def test_typed_lookups_are_audited(app_server: AppServer) -> None:
    badge = new_badge(app_server)
    device_id, token = new_device(app_server, name=f"typing gate {uuid.uuid4().hex[:6]}")
    gate = app_server.session(None)
    gate.headers["Authorization"] = f"Bearer {token}"
    unknown = "999990-1"
    for code in (badge.number, unknown):
        resp = gate.post(f"{app_server.url}/api/v1/scans",
                         json={"scan_id": str(uuid.uuid4()), "code": code, "gate": HALL_IN})
        assert resp.status_code == 200, resp.text
    with app_server.app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "scan.typed_number").order_by(AuditEntry.id)).all()
        mine = [(e.target, e.details["number"], e.details["found"]) for e in entries
                if e.actor.startswith("device:typing gate")]
    assert (f"badge:{badge.badge_id}", badge.number, True) in mine
    assert any(number == unknown and not found for _, number, found in mine)


def test_what_is_not_a_badge_is_kept_as_prefix_and_hash(app_server: AppServer) -> None:
    secret = f"adm_g_{uuid.uuid4().hex}{uuid.uuid4().hex}"
    foreign = [json.dumps({"server": "http://gate.example", "token": secret, "gate": None}),
               "M1DOE/JOHN            EABC123 FRAJFKAF 0123 180Y012A0045 100",
               "00020101021229370016A000000677010111011300668" + secret]
    for code in foreign:
        assert scan(app_server, code, HALL_IN)["reason"] == "not_a_badge"
    logged = [s["code"] for s in server_scans(app_server, gate=HALL_IN, limit=20)]
    for code in foreign:
        kept = next(c for c in logged if c.startswith(code[:6]) and "sha256:" in c)
        assert code not in kept and len(kept) < 60
    assert not any(secret in c for c in logged)


def test_database_errors_do_not_carry_parameters(app_server: AppServer,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    code = "ADM1" + "SECRETBADGECODE" * 4
    with app_server.app.app_context():
        with pytest.raises(DBAPIError) as failed:
            db.session.execute(text("INSERT INTO scans (scan_id, code) VALUES (:s, :c)"),
                               {"s": str(uuid.uuid4()), "c": code})
        db.session.rollback()
    assert "[parameters:" not in str(failed.value)  # SQLAlchemy's own echo is off
    # What the server logs of an unexpected error has no badge code, even where the
    # database repeated the failing row in its message.
    with app_server.app.test_request_context(), caplog.at_level(logging.ERROR):
        handler = app_server.app.error_handler_spec[None][None][Exception]
        handler(failed.value)
    assert caplog.records and code not in caplog.text


def test_lookup_takes_the_code_in_the_body_not_the_url(app_server: AppServer) -> None:
    badge = new_badge(app_server)
    sec = app_server.session("security")
    assert sec.get(f"{app_server.url}/api/v1/lookup", params={"code": badge.code}).status_code == 405
    found = sec.post(f"{app_server.url}/api/v1/lookup", json={"code": badge.code})
    assert found.status_code == 200 and found.json()["attendee"]["id"] == badge.attendee_id
    spec = app_server.session(None).get(f"{app_server.url}/api/v1/openapi.json").json()
    assert list(spec["paths"]["/api/v1/lookup"]) == ["post"]


@pytest.fixture(scope="module")
def limited_server(db_kind: str) -> Iterator[LiveServer]:
    """A server with the production limit (the shared test servers lift it)."""
    server = LiveServer(db_kind, attendees=5,
                        env={"TYPED_NUMBERS_PER_MINUTE": "10"}).start()
    yield server
    server.stop()


def test_typed_numbers_are_limited_per_device_across_workers(limited_server: LiveServer) -> None:
    """Ten typed numbers a minute per device, counted on storage both server workers
    share: fifteen at once from new connections (spread over the workers) admit ten."""
    live_server = limited_server
    badges = [new_badge(live_server) for _ in range(3)]
    _, token = new_device(live_server, name="typing laptop")
    answers: list[requests.Response] = []
    barrier = threading.Barrier(15)

    def one(i: int) -> None:
        body = {"scan_id": str(uuid.uuid4()), "code": badges[i % 3].number,
                "gate": "Prelude Hall Exit"}
        barrier.wait()
        answers.append(requests.post(f"{live_server.url}/api/v1/scans", json=body, timeout=30,
                                     headers={"Authorization": f"Bearer {token}",
                                              "Connection": "close"}))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(15)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(a.status_code for a in answers)
    assert codes.count(200) in (10, 11), codes  # 11 if the run spans a 6 s refill
    limited = [a for a in answers if a.status_code == 429]
    for answer in limited:
        assert answer.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(answer.headers["Retry-After"]) <= 60
    # Another device is not held back by this one; a scanned code is never limited.
    _, other = new_device(live_server, name="other laptop")
    headers = {"Authorization": f"Bearer {other}"}
    fresh = requests.post(f"{live_server.url}/api/v1/scans", headers=headers, timeout=30, json={
        "scan_id": str(uuid.uuid4()), "code": badges[0].number, "gate": "Prelude Hall Exit"})
    assert fresh.status_code == 200, fresh.text
    scanned = requests.post(f"{live_server.url}/api/v1/scans", timeout=30, json={
        "scan_id": str(uuid.uuid4()), "code": badges[0].code, "gate": "Prelude Hall Exit"},
        headers={"Authorization": f"Bearer {token}"})
    assert scanned.status_code == 200, scanned.text


def test_the_limit_lives_in_redis_when_configured(app_server: AppServer) -> None:
    """With REDIS_URL the count is in Redis (every instance shares it): two apps on one
    Redis, each with its own instance folder, see one limit."""
    from server.errors import RateLimited
    from server.services import ratelimit

    redis_url = "redis://127.0.0.1:6379/15"
    key, rule = f"test-{uuid.uuid4().hex}", ratelimit.Rule("typed", 10, 60.0)
    first, second = app_server.app, AppServer(app_server.db_kind, app_server.instance / "other",
                                               database_url=app_server.database_url)
    second.start(seed=False)
    previous = first.config.get("REDIS_URL")
    try:
        for app in (first, second.app):
            app.config["REDIS_URL"] = redis_url
        for i in range(10):
            with (first if i % 2 else second.app).test_request_context():
                ratelimit.hit(rule, key, "too many typed numbers")
        with second.app.test_request_context(), pytest.raises(RateLimited) as refused:
            ratelimit.hit(rule, key, "too many typed numbers")
        assert 1 <= refused.value.retry_after_s <= 6
    finally:
        first.config["REDIS_URL"] = previous
        second.stop()
