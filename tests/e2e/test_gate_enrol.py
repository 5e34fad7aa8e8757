"""Enrolment by QR code through the real CLI: the dashboard's enrolment JSON rendered as a
QR image, ``--enrol-from`` stores it, later starts need no --server/--token/--gate."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import segno

from tests.support.factories import enrolment_png, new_badge, new_device, server_scans
from tests.support.gate import GATE, SECOND_GATE
from tests.support.live import ROOT, LiveServer


def gate_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scanner_client", "--headless", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def error_of(proc: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return dict(json.loads([line for line in proc.stderr.splitlines() if '"error"' in line][-1]))


def test_enrol_from_qr_image_then_run_without_flags(gate_server: LiveServer, tmp_path: Path
                                                    ) -> None:
    _, token = new_device(gate_server, GATE, name="enrol test")
    png = enrolment_png(tmp_path / "enrol.png", gate_server.url, token, GATE)
    data = tmp_path / "gate"
    proc = gate_cli("--enrol-from", str(png), "--data-dir", str(data))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"event": "enrolled", "server": gate_server.url, "gate": GATE}
    settings = data / "settings.json"
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600
    assert json.loads(settings.read_text())["token"] == token
    assert not (data / "gate.sqlite3").exists()  # settings apart from state

    badges = [new_badge(gate_server) for _ in range(2)]
    codes = tmp_path / "codes.txt"
    codes.write_text(badges[0].code + "\n")
    proc = gate_cli("--source", f"codes:{codes}", "--data-dir", str(data))
    assert proc.returncode == 0, proc.stderr
    [verdict] = [json.loads(line) for line in proc.stdout.splitlines()]
    assert (verdict["mode"], verdict["verdict"]) == ("online", "admit")
    assert verdict["name"] == badges[0].name

    # Flags still override what was enrolled: scanning at another gate is tried, and the
    # server holds the device to the gate its token is bound to.
    codes.write_text(badges[1].code + "\n")
    proc = gate_cli("--source", f"codes:{codes}", "--data-dir", str(data), "--gate", SECOND_GATE)
    assert proc.returncode == 0, proc.stderr
    [verdict] = [json.loads(line) for line in proc.stdout.splitlines()]
    assert (verdict["verdict"], verdict["reason"]) == ("deny", "device_not_allowed")
    assert verdict["scan_id"] in {s["scan_id"] for s in server_scans(gate_server, SECOND_GATE)}


def test_revoked_token_is_refused_and_nothing_stored(gate_server: LiveServer, tmp_path: Path
                                                    ) -> None:
    _, token = new_device(gate_server, GATE, revoked=True)
    folder = tmp_path / "frames"
    folder.mkdir()
    enrolment_png(folder / "1.png", gate_server.url, token, GATE)
    data = tmp_path / "gate"
    proc = gate_cli("--enrol-from", str(folder), "--data-dir", str(data))
    assert proc.returncode == 2
    error = error_of(proc)
    assert error["error"] == "Token refused" and "new enrolment code" in error["message"]
    assert not (data / "settings.json").exists()


def test_folder_without_enrolment_code(gate_server: LiveServer, tmp_path: Path
                                       ) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    segno.make(new_badge(gate_server).code, error="m").save(str(folder / "badge.png"), scale=6)
    proc = gate_cli("--enrol-from", str(folder), "--data-dir", str(tmp_path / "gate"))
    assert proc.returncode == 2
    error = error_of(proc)
    assert error["error"] == "No enrolment code found"
    assert "input ended" in error["message"] and "a badge is not an enrolment code" in error["message"]


def test_code_without_gate_needs_gate_flag(gate_server: LiveServer, tmp_path: Path
                                           ) -> None:
    _, token = new_device(gate_server, None, name="enrol test")
    png = enrolment_png(tmp_path / "enrol.png", gate_server.url, token, None)
    data = tmp_path / "gate"
    assert gate_cli("--enrol-from", str(png), "--data-dir", str(data)).returncode == 0
    codes = tmp_path / "codes.txt"
    codes.write_text(new_badge(gate_server).code + "\n")
    proc = gate_cli("--source", f"codes:{codes}", "--data-dir", str(data))
    assert proc.returncode == 2 and error_of(proc)["error"] == "Not enrolled"
    assert "--gate" in error_of(proc)["message"]
    proc = gate_cli("--source", f"codes:{codes}", "--data-dir", str(data), "--gate", GATE)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[0])["verdict"] == "admit"
