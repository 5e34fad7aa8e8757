"""The first-start window: no token yet, so the camera looks for the dashboard's
enrolment QR code. A refused code (revoked token, wrong server) is shown and passed over,
and the window keeps looking until a good one is stored or the window is closed."""

from __future__ import annotations

import threading
import tkinter as tk
from pathlib import Path

from PIL import Image, ImageTk

from ..enrolment import Enrolment, SavedSettings, find_enrolment, validate
from ..errors import EnrolmentCodeNotFound, ScannerError, TokenRefused, UnknownGate
from ..source import FrameSource, SourceItem
from .panel import render_enrolment


class EnrolmentWindow:
    def __init__(self, root: tk.Tk, source: FrameSource, data_dir: Path) -> None:
        self.root = root
        self.source = source
        self.data_dir = data_dir
        self.stop = threading.Event()
        self.result: Enrolment | None = None
        self.note: str | None = None
        self.camera: Image.Image | None = None
        self._lock = threading.Lock()
        self._photo: ImageTk.PhotoImage | None = None
        root.title("Admit gate - enrolment")
        self.display = tk.Label(root, borderwidth=0, background="black")
        self.display.pack()

    def on_frame(self, item: SourceItem) -> None:
        import cv2

        rgb = cv2.cvtColor(item.image, cv2.COLOR_BGR2RGB)
        with self._lock:
            self.camera = Image.fromarray(rgb)

    def look(self) -> None:
        """Worker thread: find a code, check it with the server, store it."""
        refused: set[Enrolment] = set()
        while not self.stop.is_set():
            try:
                found = find_enrolment(self.source, float("inf"), on_frame=self.on_frame,
                                       stop=self.stop, skip=refused)
            except EnrolmentCodeNotFound:
                return  # window closed, or recorded input ended
            except ScannerError as exc:  # the camera failed
                self.note = f"{exc.title}: {exc.message}"[:160]
                return
            try:
                validate(found)
                SavedSettings(self.data_dir).save(found)
            except ScannerError as exc:
                if isinstance(exc, (TokenRefused, UnknownGate)):
                    refused.add(found)  # the same code will not get better: look for another
                self.note = f"{exc.title}: {exc.message}"[:160]
                continue
            self.result = found
            self.stop.set()

    def tick(self) -> None:
        if self.stop.is_set():
            self.root.destroy()
            return
        with self._lock:
            camera = self.camera
        self._photo = ImageTk.PhotoImage(render_enrolment(camera, self.note))
        self.display.configure(image=self._photo)
        self.root.after(66, self.tick)


def run_enrolment_window(source_spec: str, data_dir: Path) -> Enrolment | None:
    source = FrameSource(source_spec).start()
    root = tk.Tk()
    window = EnrolmentWindow(root, source, data_dir)
    thread = threading.Thread(target=window.look, name="enrolment", daemon=True)
    thread.start()
    root.protocol("WM_DELETE_WINDOW", window.stop.set)
    root.after(66, window.tick)
    try:
        root.mainloop()
    finally:
        window.stop.set()
        source.stop()
    return window.result
