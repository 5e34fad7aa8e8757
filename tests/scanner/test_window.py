"""The gate window under Xvfb: an admit (Chinese name) and a deny (Arabic name), kept as
screenshots in build/test-artifacts for a person to look at."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image, ImageGrab

from scanner_client.app import GateApp
from tests.support.factories import Badge, qr_png, revoke
from tests.support.live import LiveServer
from tests.support.tools import artifact


def badge_photo(server: LiveServer, badge_id: int) -> Image.Image:
    qr = Image.open(io.BytesIO(qr_png(server, badge_id))).convert("RGB")
    frame = Image.new("RGB", (1280, 720), (90, 96, 104))
    qr.thumbnail((420, 420))
    frame.paste(qr, (430, 150))
    return frame


def test_window_admit_and_deny_screenshots(
    display: str, gate_app: Callable[..., GateApp], gate_server: LiveServer,
    make_badge: Callable[..., Badge],
) -> None:
    import tkinter as tk

    from scanner_client.screen.window import GateWindow

    chinese, arabic = make_badge("王伟"), make_badge("محمد العتيبي")
    revoke(gate_server, arabic.badge_id)
    app = gate_app()
    root = tk.Tk()
    try:
        window = GateWindow(root, app)
        shots = {}
        for label, badge, expected in (("admit", chinese, "admit"), ("deny", arabic, "deny")):
            window.camera = badge_photo(gate_server, badge.badge_id)
            verdict = app.submit(badge.code)
            assert verdict.verdict == expected and verdict.name == badge.name
            window.show(verdict)
            root.update()
            x, y = window.display.winfo_rootx(), window.display.winfo_rooty()
            shot = ImageGrab.grab(bbox=(x, y, x + 1280, y + 720), xdisplay=display)
            shot.save(artifact(f"gate-{label}.png"))
            shots[label] = shot
        # Not by colour alone, but the colour is there too: right half is green, then red.
        assert shots["admit"].getpixel((700, 30))[1] > 100
        assert shots["deny"].getpixel((700, 30))[0] > 150
    finally:
        root.destroy()
