"""LAN mode when a gate fails: the leader killed (kill -9) or frozen (SIGSTOP), a device
revoked on the server. Waits are on the gates' own status lines, never timed."""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.factories import Badge, alerts
from tests.support.faultproxy import FaultProxy
from tests.support.lan import ENTRANCES, EXIT, NORTH, LanGate, LanGroup
from tests.support.live import LiveServer

from .test_lan_gates import scans_by_id

MAX_CHANGE_SCANS = 40  # a bound, not a timing: the change takes a few scans of 0.3 s


def one_admit_round(entrances: list[LanGate], exit_gate: LanGate, badge: Badge) -> list[dict[str, Any]]:
    for gate in entrances:
        gate.send(badge.code)
    shown = [gate.result() for gate in entrances]
    assert all(v["mode"] == "lan" for v in shown), shown
    assert [v["verdict"] for v in shown].count("admit") == 1, shown
    out = exit_gate.scan(badge.code)
    assert (out["verdict"], out["reason"]) == ("admit", "ok"), out
    return [*shown, out]


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGSTOP], ids=["kill-9", "sigstop"])
def test_a_new_leader_takes_over_and_scans_during_the_change_are_flagged(
    how: signal.Signals, lan_group: LanGroup, proxy: FaultProxy,
    gate_server: LiveServer, make_badge: Callable[..., Badge],
) -> None:
    badge = make_badge()
    fresh = [make_badge() for _ in range(MAX_CHANGE_SCANS)]
    first = lan_group.start("first", NORTH)  # the first gate up leads
    a = lan_group.start("a", ENTRANCES[0])
    b = lan_group.start("b", ENTRANCES[1])
    x = lan_group.start("x", EXIT)
    old = lan_group.wait_linked([first, a, b, x])
    assert old == lan_group.devices["first"]
    proxy.set_mode("blackhole")
    shown = one_admit_round([a, b], x, badge)

    first.signal(how)
    during: list[dict[str, Any]] = []
    for new in fresh:
        if all(g.status.get("leader") not in (old, None) for g in (a, b, x)):
            break
        during.append(a.scan(new.code))
    # The status lines are live: on a starved machine a lease can lapse for a moment
    # after the change (leader None, then the same new leader again). Wait for each gate
    # to settle on a new leader, then for all three to name the same one.
    for g in (b, x):
        g.wait_status(lambda s: s.get("leader") not in (old, None), 30, "a new leader")
    new_leader = a.wait_status(lambda s: s.get("leader") not in (old, None), 30,
                               "a new leader")["leader"]
    for g in (b, x):
        g.wait_status(lambda s: s.get("leader") == new_leader, 30, "the same new leader")
    leaders = {new_leader}
    assert new_leader not in (old, None), new_leader
    assert during, "the change of leader took no scan at all"
    # Each scan during the change is an admit (fresh badges), either still ordered by a
    # leader or decided alone and flagged as degraded; none is lost.
    assert all(v["verdict"] == "admit" for v in during)
    assert all(v["mode"] == "lan" or v.get("degraded") for v in during), during
    assert any(v.get("degraded") for v in during)  # the old leader stopped answering

    for _ in range(4):
        shown += one_admit_round([a, b], x, badge)
    if how is signal.SIGSTOP:
        # Thawed, the old leader must follow the new one, not lead beside it.
        first.signal(signal.SIGCONT)
        first.wait_status(lambda s: s.get("leader") == leaders.copy().pop(), 30, "the new leader")
        shown += one_admit_round([first, a, b], x, badge)

    proxy.set_mode("pass")
    for gate in (a, b, x) if how is signal.SIGKILL else (first, a, b, x):
        assert gate.finish()["queued"] == 0
    on_server = scans_by_id(gate_server)  # (each at most once)
    assert {str(v["scan_id"]) for v in shown + during} <= set(on_server)  # none lost
    for v in during:
        row = on_server[str(v["scan_id"])]
        assert row["mode"] == ("degraded" if v.get("degraded") else "lan")
    assert [al for al in alerts(gate_server) if al["badge_id"] == badge.badge_id] == []


def test_a_revoked_device_is_not_heard_by_the_others(
    lan_group: LanGroup, proxy: FaultProxy, gate_server: LiveServer,
    make_badge: Callable[..., Badge],
) -> None:
    badge = make_badge()
    a = lan_group.start("a", ENTRANCES[0])
    b = lan_group.start("b", ENTRANCES[1])
    r = lan_group.start("r", NORTH)
    lan_group.wait_linked([a, b, r])
    gate_server.session("admin").post(
        f"{gate_server.url}/api/v1/devices/{lan_group.devices['r']}/revoke", timeout=10
    ).raise_for_status()
    for gate in (a, b):  # from their next sync on, r is no longer one of theirs
        gate.wait_status(lambda s: s.get("linked") == 2, 30, "the group without r")

    proxy.set_mode("blackhole")
    alone = r.scan(badge.code)
    assert (alone["verdict"], alone["mode"], alone.get("degraded")) == ("admit", "offline", True)
    heard = a.scan(badge.code)  # r's admit never reached the group's log
    assert (heard["verdict"], heard["mode"]) == ("admit", "lan")
    again = b.scan(badge.code)
    assert (again["verdict"], again["reason"], again["mode"]) == ("deny", "already_inside", "lan")


def test_gates_find_each_other_by_mdns(
    lan_group: LanGroup, proxy: FaultProxy, make_badge: Callable[..., Badge],
) -> None:
    """No --peer at all: the gates announce themselves and link over multicast DNS (on
    loopback: the gate binds 127.0.0.1, so zeroconf uses that interface)."""
    badge = make_badge()
    a = lan_group.start("a", ENTRANCES[0], mdns=True)
    b = lan_group.start("b", ENTRANCES[1], mdns=True)
    lan_group.wait_linked([a, b])
    proxy.set_mode("blackhole")
    a.send(badge.code)
    b.send(badge.code)
    shown = [a.result(), b.result()]
    assert sorted(v["verdict"] for v in shown) == ["admit", "deny"], shown
