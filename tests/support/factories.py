"""Factories that go through the real API, so every test builds its own data."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any

from tests.support.live import LiveServer

_counter = itertools.count(1)


@dataclass
class IssuedBadge:
    attendee_id: int
    badge_id: int
    code: str
    number: str


def new_attendee(server: LiveServer, **fields: Any) -> dict[str, Any]:
    n = next(_counter)
    body = {
        "name": f"Test Person {uuid.uuid4().hex[:6]}",
        "email": f"t{n}-{uuid.uuid4().hex[:8]}@example.org",
        "organization": "Test Org",
        "country": "DE",
        "access_level": "VIP Guest",
        **fields,
    }
    resp = server.session("admin").post(f"{server.url}/api/v1/attendees", json=body, timeout=10)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def new_badge(server: LiveServer, **fields: Any) -> IssuedBadge:
    attendee = new_attendee(server, **fields)
    resp = server.session("admin").post(
        f"{server.url}/api/v1/attendees/{attendee['id']}/badge", timeout=10
    )
    assert resp.status_code == 201, resp.text
    badge = resp.json()
    return IssuedBadge(attendee["id"], badge["id"], badge["code"], badge["number"])


def scan(server: LiveServer, code: str, gate: str, role: str = "gate", **extra: Any) -> dict[str, Any]:
    body = {"scan_id": str(uuid.uuid4()), "code": code, "gate": gate, **extra}
    resp = server.session(role).post(f"{server.url}/api/v1/scans", json=body, timeout=10)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())
