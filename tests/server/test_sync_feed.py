"""The sync cursor never skips a change committed late, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from flask import Flask

from server.extensions import db
from server.models import Badge
from server.services.event import setup, sync
from server.services.issuing import badges
from tests.support.factories import new_badge
from tests.support.inproc import AppServer


@pytest.fixture
def app(app_server: AppServer) -> Flask:
    return app_server.app


def _feed_ids(app: Flask, cursor: str) -> tuple[list[int], str]:
    ids: list[int] = []
    with app.app_context():
        event = setup.current_event()
        while True:
            out = sync.feed(event, cursor, limit=500)
            ids += [b.badge_id for b in out.badges]
            cursor = out.cursor
            if not out.more:
                return ids, cursor


def test_late_commit_is_not_skipped(app: Flask, app_server: AppServer) -> None:
    first, second = new_badge(app_server), new_badge(app_server)
    _, cursor = _feed_ids(app, "")
    a_stamped, a_release, b_done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def revoke(badge_id: int, before_commit: threading.Event | None, done: threading.Event | None) -> None:
        try:
            with app.app_context():
                db.session.connection(execution_options={"sqlite_immediate": True})
                event = setup.current_event()
                # The service without its own transaction: this test holds it open.
                badges.revoke.__wrapped__(event, db.session.get(Badge, badge_id),  # type: ignore[attr-defined]
                                          actor="test", reason="interleave")
                db.session.flush()
                if before_commit is not None:
                    a_stamped.set()
                    assert before_commit.wait(30)
                db.session.commit()
                if done is not None:
                    done.set()
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)
            a_stamped.set()

    a = threading.Thread(target=revoke, args=(first.badge_id, a_release, None))
    a.start()
    assert a_stamped.wait(30)
    b = threading.Thread(target=revoke, args=(second.badge_id, None, b_done))
    b.start()
    # B took its version after A: it must wait for A's commit rather than overtake it.
    assert not b_done.wait(0.5)
    seen, mid_cursor = _feed_ids(app, cursor)
    assert first.badge_id not in seen and second.badge_id not in seen
    a_release.set()
    a.join(30)
    b.join(30)
    assert not errors, errors
    seen, _ = _feed_ids(app, mid_cursor)
    assert seen.index(first.badge_id) < seen.index(second.badge_id)


def test_feed_pages_and_revocations(app_server: AppServer) -> None:
    gate = app_server.session("gate")
    out = gate.get(f"{app_server.url}/api/v1/sync", params={"limit": 7}).json()
    total, cursor, pages = len(out["badges"]), out["cursor"], 1
    assert out["keys"] and out["event"]["timezone"]
    assert all(b["sealed"] and "name" not in b for b in out["badges"])
    while out["more"]:
        out = gate.get(f"{app_server.url}/api/v1/sync", params={"cursor": cursor, "limit": 7}).json()
        total, cursor, pages = total + len(out["badges"]), out["cursor"], pages + 1
    assert pages > 3
    badge = new_badge(app_server)
    app_server.session("admin").post(f"{app_server.url}/api/v1/badges/{badge.badge_id}/revoke",
                                     json={"reason": "lost"})
    delta = gate.get(f"{app_server.url}/api/v1/sync", params={"cursor": cursor}).json()
    records = {b["badge_id"]: b for b in delta["badges"]}
    assert records[badge.badge_id]["revoked"] is True
    bad = gate.get(f"{app_server.url}/api/v1/sync", params={"cursor": "x.y"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_cursor"


def test_sealed_record_opens_only_with_the_code(app_server: AppServer) -> None:
    from shared import SealedRecordError, open_record

    badge = new_badge(app_server, name="李娜")
    other = new_badge(app_server)
    records = {}
    cursor = ""
    while True:
        out = app_server.session("gate").get(f"{app_server.url}/api/v1/sync",
                                               params={"cursor": cursor}).json()
        records.update({b["badge_id"]: b for b in out["badges"]})
        cursor = out["cursor"]
        if not out["more"]:
            break
    assert open_record(badge.code, records[badge.badge_id]["sealed"])["name"] == "李娜"
    with pytest.raises(SealedRecordError):
        open_record(other.code, records[badge.badge_id]["sealed"])
