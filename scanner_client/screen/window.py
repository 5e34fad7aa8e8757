"""The gate window (Tk): live camera image, the verdict panel, the status line, a field
that takes manual entry and a USB keyboard-wedge scanner alike, and a name search.

Tk only shows pictures here; every word on screen is drawn by Pillow (see text.py),
because Tk's own text rendering does not shape Arabic."""

from __future__ import annotations

import queue
import threading
import time
import tkinter as tk
from typing import Any

from PIL import Image, ImageTk

from ..app import GateApp
from ..errors import ScannerError
from ..source import FrameSource, RepeatFilter, SourceItem
from ..verdicts import GateVerdict
from ..workers import scan_loop
from .panel import compose
from .sound import Sounds

SHOW_VERDICT_S = 4.0


class GateWindow:
    def __init__(self, root: tk.Tk, app: GateApp, width: int = 1280, height: int = 720) -> None:
        self.root = root
        self.app = app
        self.size = (width, height)
        self.verdicts: queue.Queue[GateVerdict] = queue.Queue()
        self.current: GateVerdict | None = None
        self.shown_at = 0.0
        self.camera: Image.Image | None = None
        self._frame_lock = threading.Lock()
        self.stop = threading.Event()
        self.sounds = Sounds(app.settings.data_dir / "sounds", bell=root.bell)
        root.title("Admit gate")
        root.configure(background="black")
        self.display = tk.Label(root, borderwidth=0, background="black")
        self.display.pack(side=tk.TOP)
        bar = tk.Frame(root, background="black")
        bar.pack(side=tk.TOP, fill=tk.X)
        tk.Label(bar, text="Code / badge scanner:", fg="white", bg="black").pack(side=tk.LEFT)
        self.entry = tk.Entry(bar, width=60, font=("TkFixedFont", 14))
        self.entry.pack(side=tk.LEFT, padx=6)
        self.entry.bind("<Return>", self._on_entry)
        self.entry.focus_set()  # a wedge scanner types wherever the focus is
        tk.Label(bar, text="Name search:", fg="white", bg="black").pack(side=tk.LEFT)
        self.search = tk.Entry(bar, width=24, font=("TkDefaultFont", 14))
        self.search.pack(side=tk.LEFT, padx=6)
        self.search.bind("<Return>", self._on_search)
        self.results: list[dict[str, Any]] = []
        self._photo: ImageTk.PhotoImage | None = None
        self.redraw()

    # --- inputs ---------------------------------------------------------------------

    def on_frame(self, item: SourceItem) -> None:
        import cv2

        rgb = cv2.cvtColor(item.image, cv2.COLOR_BGR2RGB)
        with self._frame_lock:
            self.camera = Image.fromarray(rgb)

    def _on_entry(self, _event: object) -> None:
        text = self.entry.get().strip()
        self.entry.delete(0, tk.END)
        if text:
            # Off the Tk thread: the online attempt may take the whole budget.
            threading.Thread(target=lambda: self.verdicts.put(self.app.submit(text)),
                             daemon=True).start()

    def _on_search(self, _event: object) -> None:
        query = self.search.get().strip()
        try:
            self.results = self.app.search_names(query) if query else []
        except ScannerError as exc:
            self.app.report_error("search", exc)
            self.results = []
        self.redraw()

    # --- output ---------------------------------------------------------------------

    def show(self, verdict: GateVerdict) -> None:
        self.current = verdict
        self.shown_at = time.monotonic()
        self.sounds.play(verdict.admitted)
        self.redraw()

    def redraw(self) -> None:
        with self._frame_lock:
            camera = self.camera
        image = compose(camera, self.current, self.app.state(), *self.size)
        if self.results:
            from .panel import render_results

            image.paste(render_results(self.results, self.size[0] // 2), (0, 0))
        self._photo = ImageTk.PhotoImage(image)
        self.display.configure(image=self._photo)

    def tick(self) -> None:
        while True:
            try:
                self.show(self.verdicts.get_nowait())
            except queue.Empty:
                break
        if self.current is not None and time.monotonic() - self.shown_at > SHOW_VERDICT_S:
            self.current = None
        self.redraw()
        if not self.stop.is_set():
            self.root.after(66, self.tick)


def run_window(app: GateApp, source: FrameSource, repeat: RepeatFilter) -> int:
    root = tk.Tk()
    window = GateWindow(root, app)
    thread = threading.Thread(
        target=scan_loop, name="scan-loop", daemon=True,
        args=(app, source, repeat, window.verdicts.put, window.on_frame, window.stop),
    )
    thread.start()
    def close() -> None:
        window.stop.set()
        root.destroy()

    root.protocol("WM_DELETE_WINDOW", close)
    root.after(66, window.tick)
    root.mainloop()
    window.stop.set()
    return 0
