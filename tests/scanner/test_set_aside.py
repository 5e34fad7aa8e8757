"""A scan the server refuses with a 4xx is set aside, not retried forever (issue 9): it
stays on the gate (shown, counted), and the rest of the queue still reaches the server."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from scanner_client.outcomes import GateVerdict
from scanner_client.screen.panel import render_status
from scanner_client.store import QueuedScan
from scanner_client.sync import utcnow
from shared import Direction, Reason, Verdict
from tests.conftest import GateFactory
from tests.support.factories import Badge, server_scans
from tests.support.faultproxy import FaultProxy
from tests.support.gate import GATE
from tests.support.live import LiveServer

TOO_LONG = "X" * 5000  # over ScanIn's 4,096 characters: no server takes it


def test_refused_scans_set_aside_and_the_rest_uploads(
    gate_app: GateFactory, proxy: FaultProxy, make_badge: Callable[..., Badge],
    gate_server: LiveServer,
) -> None:
    before, gone_gate, unsendable, after = (make_badge() for _ in range(4))
    app = gate_app(workers=False)
    proxy.set_mode("refuse")
    first = app.submit(before.code)
    # Queued offline at a gate the server no longer has (deleted while this laptop was
    # offline): the server answers the batch with 404 unknown_gate.
    orphan = str(uuid.uuid4())
    app.store.record_verdict(QueuedScan(orphan, gone_gate.code, "Gate Removed While Offline",
                                        Direction.IN, utcnow(), Verdict.ADMIT, Reason.OK), None)
    long_one = app.submit(TOO_LONG)
    last = app.submit(after.code)
    assert app.state().queued == 4

    proxy.set_mode("pass")
    assert app.probe_once()
    app.sync_once()
    state = app.state()
    assert (state.queued, state.set_aside) == (0, 2)
    aside = dict(app.store.set_aside_scans())
    assert aside.keys() == {orphan, long_one.scan_id}
    assert aside[orphan].startswith("server said 404")
    assert aside[long_one.scan_id].startswith("not sendable")
    on_server = {s["scan_id"] for s in server_scans(gate_server, GATE)}
    assert {first.scan_id, last.scan_id} <= on_server
    assert not {orphan, long_one.scan_id} & on_server
    # Set aside for good: the next sync neither resends nor fails on them.
    app.sync.link_back()
    app.sync_once()
    assert app.state().set_aside == 2 and not app.breaker.is_open
    render_status(app.state(), 1280)


def test_scan_refused_online_does_not_send_the_gate_offline(gate_app: GateFactory) -> None:
    app = gate_app(workers=False)
    verdict = app.submit(TOO_LONG)
    assert isinstance(verdict, GateVerdict)
    assert (verdict.verdict, verdict.reason, verdict.set_aside) == ("deny", "not_a_badge", True)
    assert not app.breaker.is_open  # the server is fine; this one code is not
    assert (app.state().queued, app.state().set_aside) == (0, 1)
