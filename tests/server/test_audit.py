"""The paper trail over HTTP: revoking needs a reason, and the audit log (admin only)
answers who did what, including who looked a person up."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.support.factories import new_badge
from tests.support.live import LiveServer


def _audit(server: LiveServer, **params: Any) -> list[dict[str, Any]]:
    resp = server.session("admin").get(f"{server.url}/api/v1/audit", params=params, timeout=10)
    assert resp.status_code == 200, resp.text
    return list(resp.json()["entries"])


def test_revoke_needs_a_reason_and_is_in_the_attendees_record(live_server: LiveServer) -> None:
    badge = new_badge(live_server)
    security = live_server.session("security")
    url = f"{live_server.url}/api/v1/badges/{badge.badge_id}/revoke"
    for body in (None, {}, {"reason": "   "}):
        resp = security.post(url, json=body, timeout=10) if body is not None else security.post(url, timeout=10)
        assert resp.status_code == 422, resp.text
    got = security.get(f"{live_server.url}/api/v1/badges/{badge.badge_id}", timeout=10).json()
    assert got["status"] == "active"
    assert security.post(url, json={"reason": "stolen at hotel"}, timeout=10).status_code == 200
    entries = _audit(live_server, attendee=badge.attendee_id)
    revokes = [e for e in entries if e["action"] == "badge.revoke"]
    assert revokes and revokes[0]["details"]["reason"] == "stolen at hotel"
    assert revokes[0]["actor"] == "token:test security"


def test_lookups_by_security_are_logged_and_filterable(live_server: LiveServer) -> None:
    badge = new_badge(live_server)
    security = live_server.session("security")
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    assert security.get(f"{live_server.url}/api/v1/attendees/{badge.attendee_id}", timeout=10).ok
    assert security.get(f"{live_server.url}/api/v1/lookup", params={"code": badge.number}, timeout=10).ok
    looked = _audit(live_server, actor="token:test security", action="attendee.lookup",
                    attendee=badge.attendee_id, since=start.isoformat())
    assert sorted(e["details"]["how"] for e in looked) == ["api", "badge lookup"]
    assert all(e["target"] == f"attendee:{badge.attendee_id}" for e in looked)
    # "badge" matches every badge action; the future holds nothing yet.
    assert {e["action"] for e in _audit(live_server, action="badge", attendee=badge.attendee_id)} == {"badge.issue"}
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    assert _audit(live_server, since=later) == []
    assert live_server.session("security").get(f"{live_server.url}/api/v1/audit", timeout=10).status_code == 403
