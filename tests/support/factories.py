"""The one place tests make data: attendees, badges, device tokens, scans and images,
all through the real API, so every test builds its own and nothing leaks between tests.

Each factory takes a server: a ``LiveServer`` (a real server process) or an ``AppServer`` (in this
process); both answer ``url``, ``tokens`` and ``session(role)``.
"""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import requests
import segno

# Names in several scripts, so every test that shows a name exercises more than ASCII.
NAMES = itertools.cycle(["王伟", "محمد العتيبي", "Иван Петров", "François Dupont", "Nguyễn Văn An"])
_counter = itertools.count(1)


class Server(Protocol):
    url: str
    tokens: dict[str, str]

    def session(self, role: str | None) -> requests.Session: ...


@dataclass(frozen=True)
class Badge:
    attendee_id: int
    badge_id: int
    code: str
    number: str
    name: str


def _ok(response: requests.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


def new_attendee(server: Server, **fields: Any) -> dict[str, Any]:
    """An attendee (VIP Guest by default: every zone, every day) with a unique email."""
    body = {
        "name": next(NAMES),
        "email": f"t{next(_counter)}-{uuid.uuid4().hex[:8]}@example.org",
        "organization": "Test Org",
        "country": "DE",
        "access_level": "VIP Guest",
        **fields,
    }
    return dict(_ok(server.session("admin").post(f"{server.url}/api/v1/attendees", json=body,
                                                 timeout=10), 201))


def new_badge(server: Server, **fields: Any) -> Badge:
    """A new attendee with an issued badge; ``fields`` go to the attendee."""
    attendee = new_attendee(server, **fields)
    badge = _ok(server.session("admin").post(
        f"{server.url}/api/v1/attendees/{attendee['id']}/badge", timeout=10), 201)
    return Badge(attendee["id"], badge["id"], badge["code"], badge["number"], attendee["name"])


def revoke(server: Server, badge_id: int, reason: str = "test") -> None:
    _ok(server.session("admin").post(f"{server.url}/api/v1/badges/{badge_id}/revoke",
                                     json={"reason": reason}, timeout=10))


def new_device(server: Server, gate: str | None = None, *, name: str = "test device",
               revoked: bool = False) -> tuple[int, str]:
    """A gate device token (bound to ``gate`` when given); returns (device id, token)."""
    admin = server.session("admin")
    created = _ok(admin.post(f"{server.url}/api/v1/devices", timeout=10,
                             json={"name": name, "role": "gate", "gate": gate}), 201)
    if revoked:
        _ok(admin.post(f"{server.url}/api/v1/devices/{created['id']}/revoke", timeout=10))
    return int(created["id"]), str(created["token"])


def scan(server: Server, code: str, gate: str, role: str = "gate", **extra: Any) -> dict[str, Any]:
    """One online scan; the answer's body."""
    body = {"scan_id": str(uuid.uuid4()), "code": code, "gate": gate, **extra}
    return dict(_ok(server.session(role).post(f"{server.url}/api/v1/scans", json=body,
                                              timeout=10)))


def server_scans(server: Server, gate: str | None = None, limit: int = 1000,
                 **params: Any) -> list[dict[str, Any]]:
    """The server's scan log (newest first), filtered like ``GET /api/v1/scans``."""
    query = {"limit": limit, **params, **({"gate": gate} if gate else {})}
    return list(_ok(server.session("security").get(f"{server.url}/api/v1/scans", params=query,
                                                   timeout=30))["scans"])


def alerts(server: Server) -> list[dict[str, Any]]:
    return list(_ok(server.session("security").get(f"{server.url}/api/v1/alerts",
                                                   timeout=10))["alerts"])


def qr_png(server: Server, badge_id: int) -> bytes:
    """The badge's QR code as the server renders it (PNG bytes)."""
    response = server.session("admin").get(f"{server.url}/api/v1/badges/{badge_id}/qr.png",
                                           timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "image/png"
    return response.content


def enrolment_png(path: Path, server_url: str, token: str, gate: str | None) -> Path:
    """The same JSON the dashboard's devices page puts in its QR code, as a PNG file."""
    segno.make(json.dumps({"server": server_url, "token": token, "gate": gate}),
               error="m").save(str(path), scale=6, border=4)
    return path
