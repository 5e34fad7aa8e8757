"""Badge numbers typed at the gate (damaged code): online the server decides; offline the
gate decides from its cached record, without a name; the server agrees on upload."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from scanner_client.app import GateApp
from scanner_client.verdicts import TYPED_NUMBER_NOTE
from shared import format_badge_number
from tests.support.factories import Badge, alerts, revoke, server_scans
from tests.support.faultproxy import FaultProxy
from tests.support.gate import GATE, wait_for
from tests.support.live import LiveServer


def mistype(number: str) -> str:
    """The same number with a wrong check digit."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def test_online_typed_number_admits_with_name(
    gate_app: Callable[..., GateApp], make_badge: Callable[..., Badge], gate_server: LiveServer
) -> None:
    badge = make_badge()
    app = gate_app()
    verdict = app.submit(format_badge_number(badge.badge_id))
    assert (verdict.mode, verdict.verdict, verdict.reason) == ("online", "admit", "ok")
    assert verdict.typed_number and verdict.message == TYPED_NUMBER_NOTE
    assert verdict.name == badge.name and verdict.badge_id == badge.badge_id
    logged = {s["scan_id"]: s for s in server_scans(gate_server, GATE)}[verdict.scan_id]
    assert logged["note"] == "badge number typed at the gate"


@pytest.mark.parametrize("link", ["pass", "blackhole"])
def test_mistyped_number_refused_at_once(
    link: str, gate_app: Callable[..., GateApp], make_badge: Callable[..., Badge],
    proxy: FaultProxy,
) -> None:
    badge = make_badge()
    app = gate_app()
    proxy.set_mode(link)
    start = time.monotonic()
    verdict = app.submit(mistype(format_badge_number(badge.badge_id)))
    elapsed_ms = (time.monotonic() - start) * 1000
    assert (verdict.verdict, verdict.reason) == ("deny", "not_a_badge")
    assert verdict.typed_number and "check digit" in verdict.message
    assert elapsed_ms < 100, "a bad check digit needs no server"
    assert app.state().mode == "online"  # nothing was tried, so the breaker stays closed


def test_offline_typed_numbers_decided_from_cache_and_server_agrees(
    gate_app: Callable[..., GateApp], make_badge: Callable[..., Badge], proxy: FaultProxy,
    gate_server: LiveServer,
) -> None:
    good, lost = make_badge(), make_badge()
    app = gate_app()
    revoke(gate_server, lost.badge_id)
    # The sync worker (every 0.5 s here) brings the revocation into the cache.
    wait_for(lambda: (rec := app.store.badge(lost.badge_id)) is not None and rec.revoked,
             10, "revocation in the cache")
    proxy.set_mode("blackhole")
    first = app.submit(format_badge_number(good.badge_id))
    assert (first.mode, first.verdict, first.reason) == ("offline", "admit", "ok")
    assert first.typed_number and first.message == TYPED_NUMBER_NOTE
    assert first.name is None  # the sealed record opens only with the code
    again = app.submit(format_badge_number(good.badge_id).replace("-", " "))
    assert (again.mode, again.reason) == ("offline", "already_inside")
    revoked = app.submit(format_badge_number(lost.badge_id))
    assert (revoked.mode, revoked.verdict, revoked.reason) == ("offline", "deny", "revoked")
    unknown = app.submit(format_badge_number(999_999))
    assert (unknown.mode, unknown.reason) == ("offline", "not_a_badge")
    assert app.state().queued == 4

    proxy.set_mode("pass")
    wait_for(lambda: app.state().queued == 0, 10, "outbox to drain")
    ours = {first.scan_id, again.scan_id, revoked.scan_id, unknown.scan_id}
    logged = {s["scan_id"]: s for s in server_scans(gate_server, GATE) if s["scan_id"] in ours}
    assert len(logged) == 4
    for verdict in (first, again, revoked, unknown):
        row = logged[verdict.scan_id]
        assert (row["mode"], row["reason"], row["server_reason"]) == (
            "offline", verdict.reason, verdict.reason)
        assert row["conflict"] is None
    assert logged[first.scan_id]["note"] == "badge number typed at the gate"
    assert logged[first.scan_id]["attendee_id"] == good.attendee_id
    conflicting = {str(a.get("scan_id")) for a in alerts(gate_server)}
    assert not conflicting & ours
