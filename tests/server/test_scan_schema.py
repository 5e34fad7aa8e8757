"""The scan contract's two tightenings: a time zone on ``scanned_at``, and an offline
verdict only with its reason (and the reverse). Both are refused with 422 before the
server decides anything, on the single scan and on the batch upload alike."""

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
def test_batch_refused_whole(live_server: LiveServer, case: str) -> None:
    badge = new_badge(live_server)
    good = _body(badge.code, scanned_at=AWARE.isoformat(), offline_verdict="admit",
                 offline_reason="ok")
    bad = _body(badge.code, **REFUSED[case])
    resp = live_server.session("gate").post(f"{live_server.url}/api/v1/scans/batch",
                                            json={"scans": [good, bad]})
    assert resp.status_code == 422, resp.text
    fields = {d["field"] for d in resp.json()["error"]["details"]}
    assert any(f.startswith("scans.1") for f in fields), fields
    log = live_server.session("security").get(
        f"{live_server.url}/api/v1/scans", params={"badge": badge.badge_id}).json()["scans"]
    assert good["scan_id"] not in {s["scan_id"] for s in log}


def test_aware_time_with_both_offline_fields_is_accepted(live_server: LiveServer) -> None:
    badge = new_badge(live_server)
    body = _body(badge.code, scanned_at=AWARE.isoformat(), offline_verdict="admit",
                 offline_reason="ok")
    resp = live_server.session("gate").post(f"{live_server.url}/api/v1/scans/batch",
                                            json={"scans": [body]})
    assert resp.status_code == 200, resp.text
    result = resp.json()["results"][0]
    assert result["verdict"] == "admit"  # the gate's verdict stands
    assert dt.datetime.fromisoformat(result["scanned_at"]) == AWARE  # the same instant
