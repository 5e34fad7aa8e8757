"""LAN mode: real gate processes on loopback, the server blackholed by the fault proxy.
One badge at two entrances at once is admitted once; presence from before the drop holds;
after the uplink returns every scan is on the server once, with no false alert."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from tests.support.factories import Badge, alerts, server_scans
from tests.support.faultproxy import FaultProxy
from tests.support.lan import ENTRANCES, EXIT, NORTH, LanGroup, wait_until
from tests.support.live import LiveServer

ROUNDS = 12


def post_scan(server: LiveServer, code: str, gate: str) -> dict[str, Any]:
    import uuid

    r = server.session("admin").post(f"{server.url}/api/v1/scans", timeout=10, json={
        "scan_id": str(uuid.uuid4()), "code": code, "gate": gate})
    r.raise_for_status()
    return dict(r.json())


def synced_since(server: LiveServer, device_ids: list[int], moment: str) -> bool:
    devices = server.session("admin").get(f"{server.url}/api/v1/devices", timeout=10).json()
    seen = {d["id"]: d["last_sync_at"] for d in devices["devices"]}
    return all(seen.get(d) and seen[d] > moment for d in device_ids)


def scans_by_id(server: LiveServer) -> dict[str, dict[str, Any]]:
    rows = [row for gate in (*ENTRANCES, EXIT, NORTH) for row in server_scans(server, gate)]
    ids = Counter(str(r["scan_id"]) for r in rows)
    assert max(ids.values(), default=1) == 1  # nothing counted twice
    return {str(r["scan_id"]): r for r in rows}


def devices_page(server: LiveServer) -> str:
    """The dashboard's devices page, signed in as a new admin."""
    import re
    import uuid

    import requests

    email, password = f"lan-{uuid.uuid4().hex[:8]}@test.example", "correct horse battery"
    server.cli("create-user", "--email", email, "--password", password, "--role", "admin")
    s = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(f"{server.url}/login").text)
    assert token is not None
    s.post(f"{server.url}/login", timeout=10,
           data={"email": email, "password": password, "csrf_token": token.group(1)})
    return s.get(f"{server.url}/admin/devices", timeout=10).text


def test_one_badge_at_two_entrances_is_admitted_once_and_the_server_agrees(
    lan_group: LanGroup, proxy: FaultProxy, gate_server: LiveServer,
    make_badge: Callable[..., Badge],
) -> None:
    badge, before = make_badge(), make_badge()
    a = lan_group.start("a", ENTRANCES[0])
    b = lan_group.start("b", ENTRANCES[1])
    x = lan_group.start("x", EXIT)
    lan_group.wait_linked([a, b, x])
    # Entered at a third entrance while online: the group must know after the drop.
    entered = post_scan(gate_server, before.code, NORTH)
    assert entered["verdict"] == "admit"
    wait_until(lambda: synced_since(gate_server, list(lan_group.devices.values()),
                                    entered["scanned_at"]), 30, "every gate to sync after it")

    proxy.set_mode("blackhole")
    a.send(before.code)
    b.send(before.code)
    refused = [a.result(), b.result()]
    assert [(v["verdict"], v["reason"], v["mode"]) for v in refused] == [
        ("deny", "already_inside", "lan")] * 2

    shown: list[dict[str, Any]] = [*refused]
    gate_scan_ids = {"a": {refused[0]["scan_id"]}, "b": {refused[1]["scan_id"]}, "x": set()}
    for _ in range(ROUNDS):
        a.send(badge.code)
        b.send(badge.code)
        pair = [a.result(), b.result()]
        assert all(v["mode"] == "lan" and not v.get("degraded") for v in pair), pair
        assert sorted(v["verdict"] for v in pair) == ["admit", "deny"], pair
        assert next(v for v in pair if v["verdict"] == "deny")["reason"] == "already_inside"
        out = x.scan(badge.code)
        assert (out["verdict"], out["reason"], out["mode"]) == ("admit", "ok", "lan")
        shown += [*pair, out]
        gate_scan_ids["a"].add(pair[0]["scan_id"])
        gate_scan_ids["b"].add(pair[1]["scan_id"])
        gate_scan_ids["x"].add(out["scan_id"])
    seqs = [v["lan_seq"] for v in shown if v["verdict"] == "admit"]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)  # one order for the group
    final = a.scan(badge.code)  # in once more: the server must end with the badge inside
    assert (final["verdict"], final["mode"]) == ("admit", "lan")
    shown.append(final)
    gate_scan_ids["a"].add(final["scan_id"])

    proxy.set_mode("pass")
    for gate in (a, b, x):
        assert gate.finish()["queued"] == 0
    on_server = scans_by_id(gate_server)
    assert {str(v["scan_id"]) for v in shown} <= set(on_server)  # none lost
    for v in shown:
        row = on_server[str(v["scan_id"])]
        assert (row["mode"], row["verdict"], row["lan_seq"]) == ("lan", v["verdict"], v.get("lan_seq"))
    badge_alerts = [al for al in alerts(gate_server)
                    if al["badge_id"] in (badge.badge_id, before.badge_id)]
    assert badge_alerts == []  # entry, exit, entry across gates: no false alert
    inside = gate_server.session("security").get(
        f"{gate_server.url}/api/v1/attendees/{badge.attendee_id}", timeout=10).json()["inside"]
    assert [p["zone"] for p in inside] == ["Opening Ceremony Hall"]
    # The dashboard says which gates ran in LAN mode and how many decisions were degraded.
    page = devices_page(gate_server)
    for gate in (a, b, x):
        row = page.split(f"lan {gate.name} {lan_group.tmp_path.name}<")[1].split("</tr>")[0]
        n = sum(1 for v in shown if v["scan_id"] in gate_scan_ids[gate.name])
        assert f"{n} scans, 0 degraded" in row, row
