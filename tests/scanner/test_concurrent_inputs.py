"""Camera and wedge at once (issue 9): the scan lock is not held across the network call
and each input's budget starts with its own attempt, so a second input on a slow but
working link does not wait out its budget behind the first and trip the breaker."""

from __future__ import annotations

import threading
from collections.abc import Callable

from scanner_client.outcomes import GateVerdict, Outcome
from tests.conftest import GateFactory
from tests.support.factories import Badge
from tests.support.faultproxy import FaultProxy

BUDGET_MS = 1000
# The proxy holds each chunk of the answer (headers, then body: two chunks) this long, so
# one scan takes ~0.6 s: inside the budget alone, but not after waiting for another one.
DELAY_S = 0.3


def test_two_inputs_at_once_both_decided_online(
    gate_app: GateFactory, proxy: FaultProxy, make_badge: Callable[..., Badge]
) -> None:
    camera_badge, wedge_badge = make_badge(), make_badge()
    app = gate_app(budget_ms=BUDGET_MS)
    proxy.set_mode("slow", delay_s=DELAY_S)
    barrier = threading.Barrier(2)
    results: dict[str, Outcome] = {}

    def scan(name: str, code: str) -> None:
        barrier.wait()  # both inputs arrive together, as camera and wedge can
        results[name] = app.submit(code)

    threads = [threading.Thread(target=scan, args=("camera", camera_badge.code)),
               threading.Thread(target=scan, args=("wedge", wedge_badge.code))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    verdicts = [results["camera"], results["wedge"]]
    assert all(isinstance(v, GateVerdict) for v in verdicts)
    assert [(v.mode, v.verdict) for v in verdicts if isinstance(v, GateVerdict)] == [
        ("online", "admit"), ("online", "admit")]
    assert not app.breaker.is_open, "a slow but working link must not send the gate offline"
    assert app.state().mode == "online" and app.state().queued == 0
