"""Sync feed format 2 (badges as arrays) says what format 1 says, gzip'd on the wire; the
laptop gate's client reads it through its own HTTP client."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
from pathlib import Path

import requests

from scanner_client.store import GateStore
from scanner_client.sync import SyncEngine
from scanner_client.transport import DeadlineClient
from shared import days_of, format_badge_number, open_record, slots_of
from shared.sync_schemas import PACKED_ACTIVE, PACKED_ERASED, PACKED_FIELDS, PackedSyncOut
from tests.support.factories import new_badge, scan
from tests.support.inproc import AppServer
from tests.support.live import LiveServer


def _pages(app_server: AppServer, fmt: int) -> tuple[list[dict[str, object]], list[requests.Response]]:
    gate = app_server.session("gate")
    cursor, pages, answers = "", [], []
    while True:
        resp = gate.get(f"{app_server.url}/api/v1/sync",
                        params={"cursor": cursor, "limit": 25, "format": fmt})
        assert resp.status_code == 200
        answers.append(resp)
        pages.append(resp.json())
        cursor = pages[-1]["cursor"]  # type: ignore[assignment]
        if not pages[-1]["more"]:
            return pages, answers


def test_format_2_carries_what_format_1_does(app_server: AppServer) -> None:
    revoked = new_badge(app_server)
    app_server.session("admin").post(f"{app_server.url}/api/v1/badges/{revoked.badge_id}/revoke",
                                     json={"reason": "lost"})
    old, _ = _pages(app_server, 1)
    new, _ = _pages(app_server, 2)
    assert [p["cursor"] for p in old] == [p["cursor"] for p in new]
    start = dt.date.fromisoformat(new[0]["event"]["start_date"])  # type: ignore[index]
    expected = {b["badge_id"]: b for p in old for b in p["badges"]}  # type: ignore[attr-defined]
    seen = 0
    for page in new:
        packed = PackedSyncOut.model_validate(page)
        assert packed.fields == list(PACKED_FIELDS)
        for badge_id, revision, status, zone_mask, day_mask, sealed in packed.badges:
            record = expected[badge_id]
            assert record == {
                "badge_id": badge_id, "number": format_badge_number(badge_id),
                "revision": revision, "revoked": status != PACKED_ACTIVE,
                "zone_slots": sorted(slots_of(zone_mask)),
                "days": [d.isoformat() for d in sorted(days_of(day_mask, start))],
                "sealed": sealed, "erased": status == PACKED_ERASED,
            }
            seen += 1
    assert seen == len(expected) and expected[revoked.badge_id]["revoked"] is True


def test_large_pages_are_gzipped_small_answers_are_not(app_server: AppServer) -> None:
    client = app_server.app.test_client()
    auth = {"Authorization": f"Bearer {app_server.tokens['gate']}"}
    big = client.get("/api/v1/sync?format=2", headers={**auth, "Accept-Encoding": "gzip"})
    assert big.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in big.headers["Vary"]
    wire = big.get_data()
    assert PackedSyncOut.model_validate_json(gzip.decompress(wire)).badges
    plain = client.get("/api/v1/sync?format=2", headers={**auth, "Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and len(plain.get_data()) > len(wire)
    cursor = plain.get_json()["cursor"]
    while True:  # to the end: the page after the last change is small
        last = client.get(f"/api/v1/sync?format=2&cursor={cursor}&limit=20000", headers=auth).get_json()
        cursor = last["cursor"]
        if not last["more"]:
            break
    small = client.get(f"/api/v1/sync?format=2&cursor={cursor}",
                       headers={**auth, "Accept-Encoding": "gzip"})
    assert small.get_json()["badges"] == [] and "Content-Encoding" not in small.headers


def test_unknown_format_is_refused_by_name(app_server: AppServer) -> None:
    resp = app_server.session("gate").get(f"{app_server.url}/api/v1/sync", params={"format": 3})
    assert resp.status_code == 422
    assert "format" in resp.text


def test_gate_client_pulls_format_2_through_gzip(live_server: LiveServer, tmp_path: Path) -> None:
    badge = new_badge(live_server, name="Ana Lima")
    store = GateStore(tmp_path / "gate.sqlite3")
    engine = SyncEngine(DeadlineClient(live_server.url, live_server.tokens["gate"]), store)
    pulled, wire = engine.pull(page=40)
    assert pulled == store.badge_count() and pulled > 40
    stored = store.badge(badge.badge_id)
    assert stored is not None and stored.sealed
    assert open_record(badge.code, stored.sealed)["name"] == "Ana Lima"
    plain = requests.get(f"{live_server.url}/api/v1/sync", timeout=10,
                         params={"format": 2, "limit": pulled},
                         headers={"Authorization": f"Bearer {live_server.tokens['gate']}",
                                  "Accept-Encoding": "identity"})
    assert wire < len(plain.content)  # every page's headers included, still smaller
    store.close()


def test_format_2_carries_the_lan_fields_format_1_does(app_server: AppServer) -> None:
    # A gate device with a LAN key, and someone inside the hall it guards.
    gate = app_server.session("gate")
    key = base64.b64encode(bytes(range(32))).decode()
    beat = gate.post(f"{app_server.url}/api/v1/devices/heartbeat", json={
        "queued_scans": 0, "clock": dt.datetime.now(dt.UTC).isoformat(), "mode": "lan",
        "gate": "Prelude Hall Entrance", "lan_public_key": key})
    assert beat.status_code == 200 and beat.json()["device_id"] is not None
    badge = new_badge(app_server)
    assert scan(app_server, badge.code, "Prelude Hall Entrance")["reason"] == "ok"

    def last_page(fmt: int, **extra: str) -> dict[str, object]:
        cursor = ""
        while True:
            page: dict[str, object] = gate.get(
                f"{app_server.url}/api/v1/sync",
                params={"cursor": cursor, "limit": 25, "format": fmt, **extra}).json()
            if not page["more"]:
                return page
            assert page["presence"] is None  # only the last page carries presence
            cursor = str(page["cursor"])

    old = last_page(1, gate="Prelude Hall Entrance")
    new = last_page(2, gate="Prelude Hall Entrance")
    assert new["format"] == 2
    assert key in [d["public_key"] for d in new["gate_devices"]]  # type: ignore[attr-defined]
    assert new["gate_devices"] == old["gate_devices"]
    assert badge.badge_id in [p["badge_id"] for p in new["presence"]]  # type: ignore[attr-defined]
    assert new["presence"] == old["presence"]
    assert last_page(2)["presence"] is None  # no gate named: no presence
