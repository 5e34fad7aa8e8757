"""kill -9 in the middle of an offline run of 10,000 wedge-typed scans; restart; every
scan that showed a verdict reaches the server once, and nothing is counted twice."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.support.factories import new_badge
from tests.support.faultproxy import FaultProxy
from tests.support.gate import run_gate
from tests.support.live import ROOT, LiveServer

KILL_GATE = "Press Center Kill-Test Gate"
TOTAL = 10_000
KILL_AFTER = 1_500  # the server ingests queued scans at ~65/s on SQLite: keep the drain short


def server_scan_ids(server: LiveServer, gate: str) -> list[str]:
    db = sqlite3.connect(server.database_url.removeprefix("sqlite:///"))
    try:
        return [r[0] for r in db.execute(
            "SELECT s.scan_id FROM scans s JOIN gates g ON g.id = s.gate_id WHERE g.name = ?",
            (gate,))]
    finally:
        db.close()


def outbox_scan_ids(data: Path) -> set[str]:
    outbox = sqlite3.connect(data / "gate.sqlite3")
    try:
        return {r[0] for r in outbox.execute("SELECT scan_id FROM outbox")}
    finally:
        outbox.close()


def test_kill_9_loses_nothing_and_counts_nothing_twice(
    gate_server: LiveServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    gate_server.session("admin").post(
        f"{gate_server.url}/api/v1/gates", timeout=10,
        json={"name": KILL_GATE, "zone": "Press Center", "direction": "in"},
    ).raise_for_status()
    badges = [new_badge(gate_server) for _ in range(20)]
    codes = tmp_path / "codes.txt"
    lines = [badges[i % 20].code if i % 7 else f"FOREIGN-{i}" for i in range(TOTAL)]
    codes.write_text("\n".join(lines) + "\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    data = tmp_path / "gate"
    token = gate_server.tokens["gate"]
    run_gate(proxy.url, token, f"codes:{empty}", data, gate=KILL_GATE)  # enrol and sync

    proxy.set_mode("refuse")
    proc = subprocess.Popen(
        [sys.executable, "-m", "scanner_client", "--server", proxy.url, "--token", token,
         "--gate", KILL_GATE, "--source", f"codes:{codes}", "--data-dir", str(data),
         "--headless"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    assert proc.stdout is not None
    shown: list[dict[str, object]] = []
    deadline = time.monotonic() + 60
    while len(shown) < KILL_AFTER and time.monotonic() < deadline:
        shown.append(json.loads(proc.stdout.readline()))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert len(shown) == KILL_AFTER
    # Lines written before the kill but not yet read still sit in the pipe: they showed too.
    shown += [json.loads(line) for line in proc.stdout.read().splitlines() if line.strip()]
    assert len(shown) < TOTAL  # the kill really landed mid-run
    assert {v["mode"] for v in shown} == {"offline"}
    assert server_scan_ids(gate_server, KILL_GATE) == []
    # The gate stores a scan before it shows it: what it stored is what it showed, plus
    # the one scan it had stored when the kill landed, if it landed between the two.
    queued = outbox_scan_ids(data)
    shown_ids = {str(v["scan_id"]) for v in shown}
    assert shown_ids <= queued and len(queued - shown_ids) <= 1

    proxy.set_mode("pass")
    after = run_gate(proxy.url, token, f"codes:{empty}", data, gate=KILL_GATE,
                     extra=("--flush-s", "90"), timeout_s=120)
    assert after == []
    on_server = server_scan_ids(gate_server, KILL_GATE)
    assert len(on_server) == len(set(on_server))  # nothing counted twice
    assert set(on_server) == queued  # nothing lost, nothing made up
    assert outbox_scan_ids(data) == set()
