"""First start of the gate window without a token: it enrols from the camera (here an
image folder), passing over a refused code until a good one is stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from scanner_client.screen.panel import render_enrolment
from tests.support.factories import enrolment_png, new_device
from tests.support.gate import GATE
from tests.support.live import ROOT, LiveServer
from tests.support.tools import artifact


def test_window_enrols_from_camera_skipping_a_refused_code(
    display: str, gate_server: LiveServer, tmp_path: Path
) -> None:
    frames = tmp_path / "camera"
    frames.mkdir()
    _, good = new_device(gate_server, GATE, name="window")
    _, refused = new_device(gate_server, GATE, name="window", revoked=True)
    enrolment_png(frames / "1.png", gate_server.url, refused, GATE)
    enrolment_png(frames / "2.png", gate_server.url, good, GATE)
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
    render_enrolment(None, "Token refused: ask an admin for a new enrolment code").save(
        artifact("gate-enrol.png"))
