"""The Grafana dashboard parses and names only metrics a real server exports."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import requests

from tests.support.factories import new_badge, scan
from tests.support.live import LiveServer

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "admit.json"


def exported_names(text: str) -> set[str]:
    names = {line.split("{", 1)[0].split(" ", 1)[0]
             for line in text.splitlines() if line and not line.startswith("#")}
    # A counter family with no sample yet is still declared by its TYPE line.
    for family, kind in re.findall(r"^# TYPE (\S+) (\S+)", text, re.M):
        names |= {family + "_total"} if kind == "counter" else {family}
    return names


def test_dashboard_names_only_exported_metrics(live_server: LiveServer) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    used = {name for e in exprs for name in re.findall(r"\badmit_[a-z0-9_]+", e)}
    assert len(exprs) >= 8 and len(used) >= 8
    # Labelled series appear once something happened: a scan, a deny, a batch upload.
    badge = new_badge(live_server)
    scan(live_server, badge.code, "Prelude Hall Entrance")
    live_server.session("gate").post(f"{live_server.url}/api/v1/scans/batch", json={"scans": [
        {"scan_id": str(uuid.uuid4()), "code": badge.code, "gate": "Prelude Hall Entrance",
         "scanned_at": "2026-01-01T10:00:00+00:00", "offline_verdict": "deny",
         "offline_reason": "not_valid_today"}]}, timeout=10)
    exported = exported_names(requests.get(f"{live_server.url}/metrics", timeout=10).text)
    assert used <= exported, sorted(used - exported)
    assert {p["datasource"]["uid"] for p in dashboard["panels"]} == {"prometheus"}
