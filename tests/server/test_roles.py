"""Every route x every role: allowed roles get past the door, others get 401/403.

Requests carry harmless inputs (unknown ids, empty bodies) so an allowed role's answer
is 2xx/404/422, never a change to the shared demo data."""

from __future__ import annotations

import pytest
import requests

from tests.support.live import LiveServer

A, S, G, ANON = "admin", "security", "gate", "anonymous"
ROLES = (A, S, G, ANON)
MISSING = 999999
# (method, path, body) -> roles that may call it
MATRIX: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/healthz"): frozenset(ROLES),
    ("GET", "/api/v1/openapi.json"): frozenset(ROLES),
    ("POST", "/api/v1/scans"): frozenset({A, G}),
    ("POST", "/api/v1/scans/batch"): frozenset({A, G}),
    ("GET", "/api/v1/scans"): frozenset({A, S}),
    ("GET", "/api/v1/sync"): frozenset({A, G}),
    ("POST", "/api/v1/devices/heartbeat"): frozenset({G}),
    ("GET", "/api/v1/zones"): frozenset({A, S, G}),
    ("POST", "/api/v1/zones"): frozenset({A}),
    ("GET", "/api/v1/gates"): frozenset({A, S, G}),
    ("POST", "/api/v1/gates"): frozenset({A}),
    ("GET", "/api/v1/access-levels"): frozenset({A, S, G}),
    ("POST", "/api/v1/access-levels"): frozenset({A}),
    ("GET", "/api/v1/attendees"): frozenset({A, S}),
    ("POST", "/api/v1/attendees"): frozenset({A}),
    ("POST", "/api/v1/attendees/import"): frozenset({A}),
    ("GET", "/api/v1/attendees/{attendee_id}"): frozenset({A, S}),
    ("PATCH", "/api/v1/attendees/{attendee_id}"): frozenset({A}),
    ("DELETE", "/api/v1/attendees/{attendee_id}"): frozenset({A}),
    ("POST", "/api/v1/attendees/{attendee_id}/badge"): frozenset({A, S}),
    ("GET", "/api/v1/lookup"): frozenset({A, S}),
    ("POST", "/api/v1/attendees/{attendee_id}/override"): frozenset({A, S}),
    ("GET", "/api/v1/badges/{badge_id}"): frozenset({A, S}),
    ("POST", "/api/v1/badges/{badge_id}/revoke"): frozenset({A, S}),
    ("GET", "/api/v1/badges/{badge_id}/qr.png"): frozenset({A, S}),
    ("GET", "/api/v1/badges/{badge_id}/qr.svg"): frozenset({A, S}),
    ("POST", "/api/v1/attendees/{attendee_id}/send-badge"): frozenset({A, S}),
    ("GET", "/api/v1/badges/{badge_id}/badge.pdf"): frozenset({A, S}),
    ("GET", "/api/v1/keys"): frozenset({A}),
    ("POST", "/api/v1/keys/rotate"): frozenset({A}),
    ("GET", "/api/v1/alerts"): frozenset({A, S}),
    ("POST", "/api/v1/alerts/{alert_id}/ack"): frozenset({A, S}),
    ("GET", "/api/v1/zones/{zone_id}/inside"): frozenset({A, S}),
    ("GET", "/api/v1/devices"): frozenset({A}),
    ("POST", "/api/v1/devices"): frozenset({A}),
    ("POST", "/api/v1/devices/{device_id}/revoke"): frozenset({A}),
    ("GET", "/api/v1/events"): frozenset({A, S}),
    ("POST", "/api/v1/events"): frozenset({A}),
    ("GET", "/api/v1/events/{event_id}"): frozenset({A, S}),
    ("PATCH", "/api/v1/events/{event_id}"): frozenset({A}),
    ("PATCH", "/api/v1/zones/{zone_id}"): frozenset({A}),
    ("PATCH", "/api/v1/gates/{gate_id}"): frozenset({A}),
    ("PATCH", "/api/v1/access-levels/{level_id}"): frozenset({A}),
    ("GET", "/api/v1/audit"): frozenset({A}),
}
HARMLESS_BODY = {"/api/v1/keys/rotate": None}  # an empty body gives 400 before any change


def _url(server: LiveServer, path: str) -> str:
    for name in ("attendee_id", "badge_id", "alert_id", "zone_id", "device_id", "event_id",
                 "gate_id", "level_id"):
        path = path.replace("{" + name + "}", str(MISSING))
    return server.url + path


CASES = [(m, p, r) for (m, p) in MATRIX for r in ROLES]


@pytest.mark.parametrize("method,path,role", CASES, ids=[f"{m} {p} {r}" for m, p, r in CASES])
def test_role_matrix(live_server: LiveServer, method: str, path: str, role: str) -> None:
    session = live_server.session(None if role == ANON else role)
    resp = session.request(method, _url(live_server, path), data=b"" if method != "GET" else None,
                           headers={"Content-Type": "application/json"}, timeout=10)
    allowed = role in MATRIX[(method, path)]
    if allowed:
        assert resp.status_code not in (401, 403), resp.text
        assert resp.status_code < 500, resp.text
    else:
        assert resp.status_code == (401 if role == ANON else 403), resp.text
        assert set(resp.json()["error"]) >= {"code", "message"}


def test_matrix_covers_every_documented_route(live_server: LiveServer) -> None:
    spec = requests.get(f"{live_server.url}/api/v1/openapi.json", timeout=10).json()
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert documented <= set(MATRIX), documented - set(MATRIX)


def test_revoked_device_token_is_refused(live_server: LiveServer) -> None:
    admin = live_server.session("admin")
    created = admin.post(f"{live_server.url}/api/v1/devices", json={"name": "lost laptop"}).json()
    token = created["token"]
    assert token and token.startswith("adm_g_")
    listed = admin.get(f"{live_server.url}/api/v1/devices").json()["devices"]
    assert all(d["token"] is None for d in listed)  # shown once only
    gate = requests.Session()
    gate.headers["Authorization"] = f"Bearer {token}"
    assert gate.get(f"{live_server.url}/api/v1/gates").status_code == 200
    admin.post(f"{live_server.url}/api/v1/devices/{created['id']}/revoke")
    resp = gate.get(f"{live_server.url}/api/v1/gates")
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "bad_token"


def test_bound_gate_device_elsewhere_is_not_allowed(live_server: LiveServer) -> None:
    from tests.support.factories import new_badge

    admin = live_server.session("admin")
    bound = admin.post(f"{live_server.url}/api/v1/devices",
                       json={"name": "press door", "gate": "Press Center Entrance"}).json()
    badge = new_badge(live_server)
    gate = requests.Session()
    gate.headers["Authorization"] = f"Bearer {bound['token']}"
    import uuid

    resp = gate.post(f"{live_server.url}/api/v1/scans", json={
        "scan_id": str(uuid.uuid4()), "code": badge.code, "gate": "Prelude Hall Entrance"}).json()
    assert resp["reason"] == "device_not_allowed"
