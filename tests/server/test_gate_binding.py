"""A token bound to a gate scans there, in that gate's direction, and nowhere else: not at
another zone's exit, not ``out`` at its own entrance, and its offline uploads at a foreign
entrance move no presence. Online and batch, both databases."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import requests

from tests.support.factories import new_badge, new_device, scan
from tests.support.inproc import AppServer

OWN = "Prelude Hall Entrance"
OWN_ZONE = "Prelude Hall"
PRESS_IN, PRESS_OUT = "Press Center Entrance", "Press Center Exit"


def _bound(server: AppServer) -> requests.Session:
    _, token = new_device(server, OWN, name="bound gate")
    session = server.session(None)
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def _inside(server: AppServer, attendee_id: int) -> list[str]:
    body = server.session("security").get(f"{server.url}/api/v1/attendees/{attendee_id}").json()
    return sorted(p["zone"] for p in body["inside"])


def _online(server: AppServer, session: requests.Session, code: str, gate: str,
            **extra: Any) -> dict[str, Any]:
    resp = session.post(f"{server.url}/api/v1/scans",
                        json={"scan_id": str(uuid.uuid4()), "code": code, "gate": gate, **extra})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _batch(server: AppServer, session: requests.Session, code: str, gate: str,
           **extra: Any) -> dict[str, Any]:
    body = {"scan_id": str(uuid.uuid4()), "code": code, "gate": gate,
            "scanned_at": dt.datetime.now(dt.UTC).isoformat(), "offline_verdict": "admit",
            "offline_reason": "ok", **extra}
    resp = session.post(f"{server.url}/api/v1/scans/batch", json={"scans": [body]})
    assert resp.status_code == 200, resp.text
    return dict(resp.json()["results"][0])


@pytest.mark.parametrize("path", ["online", "batch"])
def test_bound_token_cannot_let_anyone_out_of_another_zone(app_server: AppServer,
                                                           path: str) -> None:
    bound = _bound(app_server)
    badge = new_badge(app_server)
    assert scan(app_server, badge.code, PRESS_IN)["reason"] == "ok"
    send = _online if path == "online" else _batch
    answer = send(app_server, bound, badge.code, PRESS_OUT)
    assert (answer["verdict"], answer["reason"]) == ("deny", "device_not_allowed")
    assert _inside(app_server, badge.attendee_id) == ["Press Center"]


@pytest.mark.parametrize("path", ["online", "batch"])
def test_bound_token_cannot_scan_out_at_its_own_entrance(app_server: AppServer,
                                                         path: str) -> None:
    bound = _bound(app_server)
    badge = new_badge(app_server)
    assert _online(app_server, bound, badge.code, OWN)["reason"] == "ok"  # its own gate works
    send = _online if path == "online" else _batch
    answer = send(app_server, bound, badge.code, OWN, direction="out")
    assert (answer["verdict"], answer["reason"]) == ("deny", "device_not_allowed")
    assert _inside(app_server, badge.attendee_id) == [OWN_ZONE]


def test_bound_token_offline_admit_at_a_foreign_entrance_moves_no_presence(
        app_server: AppServer) -> None:
    bound = _bound(app_server)
    badge = new_badge(app_server)
    answer = _batch(app_server, bound, badge.code, PRESS_IN)
    assert (answer["verdict"], answer["reason"]) == ("deny", "device_not_allowed")
    assert _inside(app_server, badge.attendee_id) == []
    assert scan(app_server, badge.code, PRESS_IN)["reason"] == "ok"  # not "already_inside"
