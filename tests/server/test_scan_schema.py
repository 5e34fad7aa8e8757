"""The scan contract's two tightenings: a time zone on ``scanned_at``, and an offline
verdict only with its reason (and the reverse). Both are refused with 422 before the
server decides anything; in a batch upload, the bad scan alone is refused."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.support.factories import new_badge
from tests.support.live import LiveServer

GATE = "Prelude Hall Entrance"
# Just now, as a gate in the event's time zone writes it; and the same without its zone.
AWARE = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(microsecond=0)
NAIVE = AWARE.replace(tzinfo=None).isoformat()


def _body(code: str, **fields: str) -> dict[str, str]:
    return {"scan_id": str(uuid.uuid4()), "code": code, "gate": GATE, **fields}


REFUSED = {
    "naive scanned_at": {"scanned_at": NAIVE},
    "verdict without reason": {"scanned_at": AWARE.isoformat(), "offline_verdict": "admit"},
    "reason without verdict": {"scanned_at": AWARE.isoformat(), "offline_reason": "ok"},
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_single_scan_refused(live_server: LiveServer, case: str) -> None:
    badge = new_badge(live_server)
    gate = live_server.session("gate")
    body = _body(badge.code, **REFUSED[case])
    resp = gate.post(f"{live_server.url}/api/v1/scans", json=body)
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["code"] == "validation_failed"
    # nothing was recorded: the scan log does not know the scan_id
    log = live_server.session("security").get(
        f"{live_server.url}/api/v1/scans", params={"badge": badge.badge_id}).json()["scans"]
    assert body["scan_id"] not in {s["scan_id"] for s in log}


@pytest.mark.parametrize("case", list(REFUSED))
def test_batch_refuses_the_bad_scan_alone(live_server: LiveServer, case: str) -> None:
    """One bad scan must not hold back the queue behind it: it is answered in
    ``refused`` (the gate sets it aside) and the good one is stored."""
    badge = new_badge(live_server)
    good = _body(badge.code, scanned_at=AWARE.isoformat(), offline_verdict="admit",
                 offline_reason="ok")
    bad = _body(badge.code, **REFUSED[case])
    resp = live_server.session("gate").post(f"{live_server.url}/api/v1/scans/batch",
                                            json={"scans": [good, bad]})
    assert resp.status_code == 200, resp.text
    assert [r["scan_id"] for r in resp.json()["results"]] == [good["scan_id"]]
    [refused] = resp.json()["refused"]
    assert refused["scan_id"] == bad["scan_id"]
    assert refused["error"]["code"] == "validation_failed" and refused["error"]["details"]
    log = live_server.session("security").get(
        f"{live_server.url}/api/v1/scans", params={"badge": badge.badge_id}).json()["scans"]
    assert {s["scan_id"] for s in log} == {good["scan_id"]}
