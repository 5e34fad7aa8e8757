"""First start of the gate window without a token: it enrols from the camera (here an
image folder), passing over a refused code until a good one is stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import segno

from scanner_client.screen.panel import render_enrolment
from tests.scanner.test_window import ARTIFACTS, display  # noqa: F401
from tests.support.gate import GATE
from tests.support.live import ROOT, LiveServer


def device_token(server: LiveServer, revoked: bool = False) -> str:
    admin = server.session("admin")
    r = admin.post(f"{server.url}/api/v1/devices", json={"name": "window", "gate": GATE}, timeout=10)
    r.raise_for_status()
    if revoked:
        admin.post(f"{server.url}/api/v1/devices/{r.json()['id']}/revoke",
                   timeout=10).raise_for_status()
    return str(r.json()["token"])


def test_window_enrols_from_camera_skipping_a_refused_code(
    display: str, gate_server: LiveServer, tmp_path: Path  # noqa: F811
) -> None:
    frames = tmp_path / "camera"
    frames.mkdir()
    good = device_token(gate_server)
    for name, token in (("1.png", device_token(gate_server, revoked=True)), ("2.png", good)):
        text = json.dumps({"server": gate_server.url, "token": token, "gate": GATE})
        segno.make(text, error="m").save(str(frames / name), scale=6, border=4)
    # In its own process: an X connection left open in pytest's process to this Xvfb,
    # which the fixture then stops, makes Xlib exit the whole test run later on.
    script = ("import json, sys; from pathlib import Path; "
              "from scanner_client.screen import run_enrolment_window; "
              "found = run_enrolment_window(sys.argv[1], Path(sys.argv[2])); "
              "print(json.dumps(found.as_json() if found else None))")
    proc = subprocess.run([sys.executable, "-c", script, str(frames), str(tmp_path / "gate")],
                          cwd=ROOT, env={**os.environ, "DISPLAY": display},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert (found["token"], found["gate"]) == (good, GATE)
    assert json.loads((tmp_path / "gate" / "settings.json").read_text())["token"] == good
    # What the screen shows meanwhile, kept for a person to look at.
    ARTIFACTS.mkdir(exist_ok=True)
    render_enrolment(None, "Token refused: ask an admin for a new enrolment code").save(
        ARTIFACTS / "gate-enrol.png")
