"""The gate window under Xvfb: an admit (Chinese name) and a deny (Arabic name), kept as
screenshots in build/test-artifacts for a person to look at."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image, ImageGrab

from scanner_client.outcomes import GateVerdict
from tests.conftest import GateFactory
from tests.support.factories import Badge, revoke
from tests.support.faultproxy import FaultProxy
from tests.support.gate import wait_for
from tests.support.live import LiveServer
from tests.support.tools import artifact


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
            assert verdict.verdict == expected
            # Only an admit shows who the person is (a deny: reason and badge number).
            assert verdict.name == (badge.name if expected == "admit" else None)
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


def test_arabic_organization_has_no_missing_glyph(
    display: str, gate_app: GateFactory, gate_server: LiveServer,
    make_badge: Callable[..., Badge],
) -> None:
    import tkinter as tk

    from scanner_client.screen.text import has_glyphs, runs
    from scanner_client.screen.window import GateWindow

    badge = make_badge("محمد العتيبي", "وزارة الخارجية (مصر)")
    app = gate_app()
    root = tk.Tk()
    try:
        window = GateWindow(root, app, gate_app.workers_of(app))
        window.camera = badge_photo(gate_server, badge.badge_id)
        verdict = app.submit(badge.code)
        assert isinstance(verdict, GateVerdict) and verdict.admitted
        assert verdict.organization == "وزارة الخارجية (مصر)"
        # The line the panel draws under the name: every run in a face that has its glyphs
        # (the middle dot once fell into the Arabic face, which has none: a box).
        details = f"{verdict.organization} · {verdict.access_level}"
        for script, part in runs(details):
            assert has_glyphs("latin" if script == "neutral" else script, part), (script, part)
        window.show(verdict)
        root.update()
        x, y = window.display.winfo_rootx(), window.display.winfo_rooty()
        ImageGrab.grab(bbox=(x, y, x + 1280, y + 720), xdisplay=display).save(
            artifact("gate-arabic-organization.png"))
    finally:
        root.destroy()


def test_name_search_runs_off_the_tk_thread(
    display: str, gate_app: GateFactory, proxy: FaultProxy, make_badge: Callable[..., Badge],
) -> None:
    import tkinter as tk

    from scanner_client.screen.window import GateWindow

    badge = make_badge("Ingrid Søndergaard")
    app = gate_app(staff=True)
    root = tk.Tk()
    try:
        window = GateWindow(root, app, gate_app.workers_of(app))
        proxy.set_mode("blackhole")  # the search request hangs until its 2 s deadline
        window.search.insert(0, "Søndergaard")
        window._on_search(None)
        # Returned at once: the search is still waiting on the worker, not done on the Tk
        # thread (which would have come back only with its timeout error).
        assert "search" not in app.state().errors
        wait_for(lambda: "search" in app.state().errors, 10, "the hung search to time out")
        proxy.set_mode("pass")
        window._on_search(None)

        def delivered() -> bool:
            window.tick()  # the Tk thread drains the results the worker delivered
            return bool(window.results)

        wait_for(delivered, 10, "the search results")
        assert [r["name"] for r in window.results] == [badge.name]
        assert "search" not in app.state().errors
    finally:
        window.stop.set()
        root.destroy()
