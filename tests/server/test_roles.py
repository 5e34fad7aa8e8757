"""Every route x every role: allowed roles get past the door, others get 401/403.

Requests carry harmless inputs (unknown ids, empty bodies), so an allowed role gets the
exact answer written beside the route (the role check passed, the input did not) and the
shared demo data never changes."""

from __future__ import annotations

import uuid

import pytest

from tests.support.factories import new_badge
from tests.support.inproc import AppServer

A, S, G, ANON = "admin", "security", "gate", "anonymous"
ROLES = (A, S, G, ANON)
MISSING = 999999
# (method, path) -> (the answer an allowed role gets to the harmless request, the roles
# allowed): 400 an empty body, 404 an unknown id, 422 a missing parameter.
MATRIX: dict[tuple[str, str], tuple[int, frozenset[str]]] = {
    ("GET", "/healthz"): (200, frozenset(ROLES)),
    ("GET", "/readyz"): (200, frozenset(ROLES)),
    ("GET", "/metrics"): (200, frozenset(ROLES)),
    ("GET", "/api/v1/jobs/{job_id}"): (404, frozenset({A})),
    ("POST", "/api/v1/jobs/{job_id}/retry"): (404, frozenset({A})),
    ("POST", "/api/v1/jobs/send-badges"): (400, frozenset({A})),
    ("GET", "/api/v1/openapi.json"): (200, frozenset(ROLES)),
    ("POST", "/api/v1/scans"): (400, frozenset({A, G})),
    ("POST", "/api/v1/scans/batch"): (400, frozenset({A, G})),
    ("GET", "/api/v1/scans"): (200, frozenset({A, S})),
    ("GET", "/api/v1/sync"): (200, frozenset({A, G})),
    ("POST", "/api/v1/devices/heartbeat"): (400, frozenset({G})),
    ("GET", "/api/v1/zones"): (200, frozenset({A, S, G})),
    ("POST", "/api/v1/zones"): (400, frozenset({A})),
    ("GET", "/api/v1/gates"): (200, frozenset({A, S, G})),
    ("POST", "/api/v1/gates"): (400, frozenset({A})),
    ("GET", "/api/v1/access-levels"): (200, frozenset({A, S, G})),
    ("POST", "/api/v1/access-levels"): (400, frozenset({A})),
    ("GET", "/api/v1/attendees"): (200, frozenset({A, S})),
    ("POST", "/api/v1/attendees"): (400, frozenset({A})),
    ("POST", "/api/v1/attendees/import"): (400, frozenset({A})),
    ("GET", "/api/v1/attendees/{attendee_id}"): (404, frozenset({A, S})),
    ("PATCH", "/api/v1/attendees/{attendee_id}"): (400, frozenset({A})),
    ("DELETE", "/api/v1/attendees/{attendee_id}"): (404, frozenset({A})),
    ("POST", "/api/v1/attendees/{attendee_id}/badge"): (404, frozenset({A, S})),
    ("GET", "/api/v1/lookup"): (422, frozenset({A, S})),
    ("POST", "/api/v1/attendees/{attendee_id}/override"): (400, frozenset({A, S})),
    ("GET", "/api/v1/badges/{badge_id}"): (404, frozenset({A, S})),
    ("POST", "/api/v1/badges/{badge_id}/revoke"): (422, frozenset({A, S})),  # no reason
    ("GET", "/api/v1/badges/{badge_id}/qr.png"): (404, frozenset({A, S})),
    ("GET", "/api/v1/badges/{badge_id}/qr.svg"): (404, frozenset({A, S})),
    ("POST", "/api/v1/attendees/{attendee_id}/send-badge"): (404, frozenset({A, S})),
    ("GET", "/api/v1/badges/{badge_id}/badge.pdf"): (404, frozenset({A, S})),
    ("GET", "/api/v1/keys"): (200, frozenset({A})),
    ("POST", "/api/v1/keys/rotate"): (400, frozenset({A})),
    ("GET", "/api/v1/alerts"): (200, frozenset({A, S})),
    ("POST", "/api/v1/alerts/{alert_id}/ack"): (400, frozenset({A, S})),
    ("GET", "/api/v1/zones/{zone_id}/inside"): (404, frozenset({A, S})),
    ("GET", "/api/v1/devices"): (200, frozenset({A})),
    ("POST", "/api/v1/devices"): (400, frozenset({A})),
    ("POST", "/api/v1/devices/{device_id}/revoke"): (404, frozenset({A})),
    ("GET", "/api/v1/exports/attendees.{fmt}"): (200, frozenset({A})),
    ("GET", "/api/v1/exports/scans.{fmt}"): (200, frozenset({A, S})),
    ("GET", "/api/v1/exports/attendance.{fmt}"): (200, frozenset({A, S})),
    ("POST", "/api/v1/attendees/{attendee_id}/erase"): (400, frozenset({A})),
    ("GET", "/api/v1/attendees/{attendee_id}/export"): (404, frozenset({A})),
    ("GET", "/api/v1/event"): (200, frozenset({A})),
    ("PATCH", "/api/v1/event"): (400, frozenset({A})),
    ("POST", "/api/v1/scans/{scan_id}/annul"): (404, frozenset({A, G})),
    ("GET", "/api/v1/webhooks"): (200, frozenset({A})),
    ("POST", "/api/v1/webhooks"): (400, frozenset({A})),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): (404, frozenset({A})),
    ("GET", "/api/v1/reports/event.pdf"): (200, frozenset({A, S})),
    ("GET", "/api/v1/reports/jobs/{job_id}"): (404, frozenset({A, S})),
    ("GET", "/api/v1/events"): (200, frozenset({A, S})),
    ("POST", "/api/v1/events"): (400, frozenset({A})),
    ("GET", "/api/v1/events/{event_id}"): (404, frozenset({A, S})),
    ("PATCH", "/api/v1/events/{event_id}"): (400, frozenset({A})),
    ("PATCH", "/api/v1/zones/{zone_id}"): (400, frozenset({A})),
    ("PATCH", "/api/v1/gates/{gate_id}"): (400, frozenset({A})),
    ("PATCH", "/api/v1/access-levels/{level_id}"): (400, frozenset({A})),
    ("GET", "/api/v1/audit"): (200, frozenset({A})),
}


def _url(server: AppServer, path: str) -> str:
    for name in ("attendee_id", "badge_id", "alert_id", "zone_id", "device_id", "scan_id",
                 "webhook_id", "job_id", "event_id", "gate_id", "level_id"):
        path = path.replace("{" + name + "}", str(MISSING))
    path = path.replace("{fmt}", "csv")
    return server.url + path


CASES = [(m, p, r) for (m, p) in MATRIX for r in ROLES]


@pytest.mark.parametrize("method,path,role", CASES, ids=[f"{m} {p} {r}" for m, p, r in CASES])
def test_role_matrix(app_server: AppServer, method: str, path: str, role: str) -> None:
    session = app_server.session(None if role == ANON else role)
    resp = session.request(method, _url(app_server, path), data=b"" if method != "GET" else None,
                           headers={"Content-Type": "application/json"}, timeout=10)
    expected, allowed = MATRIX[(method, path)]
    if role in allowed:
        assert resp.status_code == expected, resp.text
    else:
        assert resp.status_code == (401 if role == ANON else 403), resp.text
        assert set(resp.json()["error"]) >= {"code", "message"}


def test_matrix_covers_every_documented_route(app_server: AppServer) -> None:
    spec = app_server.session(None).get(f"{app_server.url}/api/v1/openapi.json").json()
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert documented <= set(MATRIX), documented - set(MATRIX)


def test_revoked_device_token_is_refused(app_server: AppServer) -> None:
    admin = app_server.session("admin")
    created = admin.post(f"{app_server.url}/api/v1/devices", json={"name": "lost laptop"}).json()
    token = created["token"]
    assert token and token.startswith("adm_g_")
    listed = admin.get(f"{app_server.url}/api/v1/devices").json()["devices"]
    assert all(d["token"] is None for d in listed)  # shown once only
    gate = app_server.session(None)
    gate.headers["Authorization"] = f"Bearer {token}"
    assert gate.get(f"{app_server.url}/api/v1/gates").status_code == 200
    admin.post(f"{app_server.url}/api/v1/devices/{created['id']}/revoke")
    resp = gate.get(f"{app_server.url}/api/v1/gates")
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "bad_token"


def test_bound_gate_device_elsewhere_is_not_allowed(app_server: AppServer) -> None:
    admin = app_server.session("admin")
    bound = admin.post(f"{app_server.url}/api/v1/devices",
                       json={"name": "press door", "gate": "Press Center Entrance"}).json()
    badge = new_badge(app_server)
    gate = app_server.session(None)
    gate.headers["Authorization"] = f"Bearer {bound['token']}"
    resp = gate.post(f"{app_server.url}/api/v1/scans", json={
        "scan_id": str(uuid.uuid4()), "code": badge.code, "gate": "Prelude Hall Entrance"}).json()
    assert resp["reason"] == "device_not_allowed"
