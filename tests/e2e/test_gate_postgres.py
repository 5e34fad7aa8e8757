"""Smoke on PostgreSQL: the gate CLI online, then offline with its outbox uploaded."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.factories import new_badge, server_scans
from tests.support.faultproxy import FaultProxy
from tests.support.gate import run_gate
from tests.support.live import LiveServer


@pytest.mark.postgres
@pytest.mark.parametrize("db_kind", ["postgres"], indirect=True, scope="session")
def test_gate_against_postgres(live_server: LiveServer, tmp_path: Path) -> None:
    first, second = new_badge(live_server), new_badge(live_server)
    codes = tmp_path / "codes.txt"
    codes.write_text(f"{first.code}\n{first.code}\n")
    parts = urlsplit(live_server.url)
    proxy = FaultProxy(parts.hostname or "127.0.0.1", int(parts.port or 80))
    try:
        token, data = live_server.tokens["gate"], tmp_path / "gate"
        # This smoke proves the flow on PostgreSQL, not the budget (bench/scanner_latency.py
        # measures that): a generous budget keeps a loaded CI machine from going offline.
        lines = run_gate(proxy.url, token, f"codes:{codes}", data, budget_ms=5000)
        assert [(v["mode"], v["reason"]) for v in lines] == [("online", "ok"),
                                                              ("online", "already_inside")]
        proxy.set_mode("refuse")
        codes.write_text(f"{second.code}\n")
        assert run_gate(proxy.url, token, f"codes:{codes}", data)[0]["mode"] == "offline"
        proxy.set_mode("pass")
        codes.write_text("")
        run_gate(proxy.url, token, f"codes:{codes}", data)
        scans = server_scans(live_server, badge=second.badge_id)
        assert [s["mode"] for s in scans] == ["offline"]
    finally:
        proxy.close()
