"""50 really concurrent scans of one badge at one zone admit it exactly once."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.support.factories import new_badge
from tests.support.live import LiveServer

N = 50


def _burst(server: LiveServer, codes: list[str], gate: str) -> list[dict[str, str]]:
    barrier = threading.Barrier(len(codes))
    token = server.tokens["gate"]

    def one(code: str) -> dict[str, str]:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        body = {"scan_id": str(uuid.uuid4()), "code": code, "gate": gate}
        barrier.wait(timeout=30)  # every thread fires at once
        resp = session.post(f"{server.url}/api/v1/scans", json=body, timeout=60)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    with ThreadPoolExecutor(len(codes)) as pool:
        return list(pool.map(one, codes))


def test_fifty_concurrent_scans_admit_once(live_server: LiveServer) -> None:
    badge = new_badge(live_server)
    results = _burst(live_server, [badge.code] * N, "International Exhibits Entrance")
    reasons = sorted(r["reason"] for r in results)
    assert reasons.count("ok") == 1, reasons
    assert reasons.count("already_inside") == N - 1
    log = live_server.session("security").get(
        f"{live_server.url}/api/v1/scans", params={"badge": badge.badge_id, "limit": 100}).json()
    assert len(log["scans"]) == N  # every attempt is in the log


def test_capacity_is_never_exceeded(live_server: LiveServer) -> None:
    admin = live_server.session("admin")
    name = f"Boardroom {uuid.uuid4().hex[:6]}"
    assert admin.post(f"{live_server.url}/api/v1/zones",
                      json={"name": name, "capacity": 3}).status_code == 201
    gate = f"{name} Door"
    assert admin.post(f"{live_server.url}/api/v1/gates",
                      json={"name": gate, "zone": name, "direction": "in"}).status_code == 201
    days = admin.get(f"{live_server.url}/api/v1/access-levels").json()["access_levels"][0]["days"]
    resp = admin.post(f"{live_server.url}/api/v1/access-levels",
                      json={"name": f"{name} guests", "zones": [name], "days": days})
    assert resp.status_code == 201, resp.text
    codes = [new_badge(live_server, access_level=f"{name} guests").code for _ in range(10)]
    results = _burst(live_server, codes, gate)
    reasons = sorted(r["reason"] for r in results)
    assert reasons == ["ok"] * 3 + ["zone_full"] * 7, reasons
    zones = {z["name"]: z for z in admin.get(f"{live_server.url}/api/v1/zones").json()["zones"]}
    assert zones[name]["occupancy"] == 3
