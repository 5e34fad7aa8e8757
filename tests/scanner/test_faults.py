"""Network faults through the loopback proxy: every scan gets its verdict within the
budget, the outbox drains after recovery, and the server flags the conflicts."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from scanner_client.app import GateApp
from scanner_client.verdicts import GateVerdict
from tests.support.factories import Badge, alerts, revoke
from tests.support.faultproxy import FaultProxy
from tests.support.gate import SECOND_GATE, wait_for
from tests.support.live import LiveServer

BUDGET_MS = 300
MARGIN_MS = 60  # scheduling slack on a loaded 2-core CI box


def timed_submit(app: GateApp, code: str) -> tuple[GateVerdict, float]:
    start = time.monotonic()
    verdict = app.submit(code)
    return verdict, (time.monotonic() - start) * 1000


def assert_in_budget(elapsed_ms: float) -> None:
    assert elapsed_ms <= BUDGET_MS + MARGIN_MS, f"verdict took {elapsed_ms:.0f} ms"


@pytest.mark.parametrize(
    ("mode", "options"),
    [
        ("refuse", {}),
        ("blackhole", {}),
        ("slow", {"delay_s": 0.6}),
        ("trickle", {"delay_s": 0.02}),  # ~1 byte per 20 ms: never finishes a 300 ms budget
    ],
)
def test_every_scan_in_budget_and_outbox_drains(
    mode: str, options: dict[str, float], gate_app: Callable[..., GateApp], proxy: FaultProxy,
    make_badge: Callable[..., Badge],
) -> None:
    badges = [make_badge() for _ in range(3)]
    app = gate_app()
    proxy.set_mode(mode, **options)
    for badge in badges:
        verdict, elapsed = timed_submit(app, badge.code)
        assert_in_budget(elapsed)
        assert (verdict.mode, verdict.verdict) == ("offline", "admit")
        assert verdict.name == badge.name  # sealed record opened with the presented code
    # Behind the breaker, later scans do not wait on the dead link at all.
    again, elapsed = timed_submit(app, badges[0].code)
    assert again.reason == "already_inside" and elapsed < 100
    assert app.state().mode == "offline" and app.state().queued == 4
    proxy.set_mode("pass")
    # A sync request caught in a blackholed phase holds until its own (2 s here) deadline.
    wait_for(lambda: app.state().queued == 0, 10, "outbox to drain")
    wait_for(lambda: app.state().mode == "online", 5, "breaker to close")
    verdict, elapsed = timed_submit(app, badges[1].code)
    assert (verdict.mode, verdict.reason) == ("online", "already_inside")


def test_flapping_link(gate_app: Callable[..., GateApp], proxy: FaultProxy,
                       make_badge: Callable[..., Badge]) -> None:
    badges = [make_badge() for _ in range(12)]
    app = gate_app()
    proxy.set_mode("flapping", period_s=0.4)
    modes = set()
    for badge in badges:
        verdict, elapsed = timed_submit(app, badge.code)
        assert_in_budget(elapsed)
        assert verdict.verdict == "admit", verdict
        modes.add(verdict.mode)
        time.sleep(0.1)  # pacing the scans like people at a gate, not synchronisation
    assert modes == {"online", "offline"}  # the breaker followed the link both ways
    proxy.set_mode("pass")
    # A sync request caught in a blackholed phase holds until its own (2 s here) deadline.
    wait_for(lambda: app.state().queued == 0, 10, "outbox to drain")


def test_offline_conflicts_reach_security(
    gate_app: Callable[..., GateApp], proxy: FaultProxy, gate_server: LiveServer,
    make_badge: Callable[..., Badge],
) -> None:
    twice, revoked = make_badge(), make_badge()
    gate_a = gate_app(name="a")
    gate_b = gate_app(gate=SECOND_GATE, name="b")
    proxy.set_mode("refuse")
    revoke(gate_server, revoked.badge_id)  # the gates' caches do not know yet
    assert gate_a.submit(twice.code).verdict == "admit"
    assert gate_b.submit(twice.code).verdict == "admit"  # same zone, other gate: cannot know
    late = gate_a.submit(revoked.code)
    assert (late.mode, late.verdict) == ("offline", "admit")
    proxy.set_mode("pass")
    wait_for(lambda: gate_a.state().queued == 0 and gate_b.state().queued == 0, 10, "uploads")
    kinds = {(a["kind"], a["badge_id"]) for a in alerts(gate_server)}
    assert ("double_admit", twice.badge_id) in kinds
    assert ("admitted_after_revocation", revoked.badge_id) in kinds
    # After the next sync the gate knows about the revocation, offline too.
    gate_a.sync.run_once()
    proxy.set_mode("refuse")
    gate_a.breaker.trip()
    assert gate_a.submit(revoked.code).reason == "revoked"
