"""The gate window (Tk): live camera image, the verdict panel, the status line, a field
that takes manual entry and a USB keyboard-wedge scanner alike, and a name search.

Tk only shows pictures here; every word on screen is drawn by Pillow (see text.py),
because Tk's own text rendering does not shape Arabic. The window owns no threads and
does no slow work: input goes to the WorkerManager, results come back through queues
that the Tk thread drains, and everything else is read from the facade."""

from __future__ import annotations

import queue
import threading
import time
import tkinter as tk
from typing import Any

from PIL import Image, ImageTk

from ..app import GateApp
from ..outcomes import Outcome
from ..source import FrameSource, RepeatFilter, SourceItem
from ..workers import WorkerManager
from .panel import compose, render_results
from .sound import Sounds

SHOW_VERDICT_S = 4.0


class GateWindow:
    def __init__(self, root: tk.Tk, app: GateApp, workers: WorkerManager, width: int = 1280,
                 height: int = 720) -> None:
        self.root = root
        self.app = app
        self.workers = workers
        self.size = (width, height)
        self.verdicts: queue.Queue[Outcome] = queue.Queue()
        self.found: queue.Queue[list[dict[str, Any]]] = queue.Queue()
        self.current: Outcome | None = None
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
            self.workers.submit_typed(text, self.verdicts.put)

    def _on_search(self, _event: object) -> None:
        self.workers.search(self.search.get().strip(), self.found.put)

    # --- output ---------------------------------------------------------------------

    def show(self, verdict: Outcome) -> None:
        self.current = verdict
        self.shown_at = time.monotonic()
        self.sounds.play(verdict.admitted)
        self.redraw()

    def redraw(self) -> None:
        with self._frame_lock:
            camera = self.camera
        image = compose(camera, self.current, self.app.state(), *self.size)
        if self.results:
            image.paste(render_results(self.results, self.size[0] // 2), (0, 0))
        self._photo = ImageTk.PhotoImage(image)
        self.display.configure(image=self._photo)

    def tick(self) -> None:
        while True:
            try:
                self.show(self.verdicts.get_nowait())
            except queue.Empty:
                break
        while not self.found.empty():
            self.results = self.found.get_nowait()
        if self.current is not None and time.monotonic() - self.shown_at > SHOW_VERDICT_S:
            self.current = None
        self.redraw()
        if not self.stop.is_set():
            self.root.after(66, self.tick)


def run_window(app: GateApp, workers: WorkerManager, source: FrameSource, repeat: RepeatFilter
               ) -> int:
    root = tk.Tk()
    window = GateWindow(root, app, workers)
    workers.start_scanning(source, repeat, window.verdicts.put, window.on_frame)

    def close() -> None:
        window.stop.set()
        root.destroy()

    root.protocol("WM_DELETE_WINDOW", close)
    root.after(66, window.tick)
    root.mainloop()
    window.stop.set()
    return 0
