"""The gate window under Xvfb: an admit (Chinese name) and a deny (Arabic name), kept as
screenshots in tests/artifacts for a person to look at."""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageGrab

from tests.support.gate import Badge, GateFactory, revoke, wait_for
from tests.support.live import ROOT, LiveServer
from tests.support.tools import require

ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture
def display() -> Iterator[str]:
    require("Xvfb")
    number = 90 + os.getpid() % 100
    name = f":{number}"
    proc = subprocess.Popen(["Xvfb", name, "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: Path(f"/tmp/.X11-unix/X{number}").exists(), 10, "Xvfb")
    old = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = name
    yield name
    if old is None:
        os.environ.pop("DISPLAY", None)
    else:
        os.environ["DISPLAY"] = old
    proc.terminate()
    proc.wait(5)


def badge_photo(server: LiveServer, badge_id: int) -> Image.Image:
    r = server.session("admin").get(f"{server.url}/api/v1/badges/{badge_id}/qr.png", timeout=10)
    r.raise_for_status()
    qr = Image.open(io.BytesIO(r.content)).convert("RGB")
    frame = Image.new("RGB", (1280, 720), (90, 96, 104))
    qr.thumbnail((420, 420))
    frame.paste(qr, (430, 150))
    return frame


def test_window_admit_and_deny_screenshots(
    display: str, gate_app: GateFactory, gate_server: LiveServer,
    make_badge: Callable[..., Badge],
) -> None:
    import tkinter as tk

    from scanner_client.screen.window import GateWindow

    chinese, arabic = make_badge("王伟"), make_badge("محمد العتيبي")
    revoke(gate_server, arabic.badge_id)
    app = gate_app()
    root = tk.Tk()
    try:
        window = GateWindow(root, app, gate_app.workers_of(app))
        shots = {}
        for label, badge, expected in (("admit", chinese, "admit"), ("deny", arabic, "deny")):
            window.camera = badge_photo(gate_server, badge.badge_id)
            verdict = app.submit(badge.code)
            assert verdict.verdict == expected and verdict.name == badge.name
            window.show(verdict)
            root.update()
            x, y = window.display.winfo_rootx(), window.display.winfo_rooty()
            shot = ImageGrab.grab(bbox=(x, y, x + 1280, y + 720), xdisplay=display)
            ARTIFACTS.mkdir(exist_ok=True)
            shot.save(ARTIFACTS / f"gate-{label}.png")
            shots[label] = shot
        # Not by colour alone, but the colour is there too: right half is green, then red.
        assert shots["admit"].getpixel((700, 30))[1] > 100
        assert shots["deny"].getpixel((700, 30))[0] > 150
    finally:
        root.destroy()
