"""Frame sources, each read in its own thread into a one-item slot.

A live camera overwrites the slot, so the decoder always gets the newest frame and a
slow decode never builds a backlog at 30 fps. Recorded input (a video file, an image
folder, a file of codes) waits for the slot to empty instead: there is no "now" to fall
behind, and dropping recorded frames would make runs unrepeatable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import SourceError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}


@dataclass
class SourceItem:
    """A camera frame (``image``) or a code typed by a keyboard wedge (``text``).

    ``media_s`` is the item's time on the source's own clock (the anti-repeat window
    counts in it); ``presentation`` is true when each item is a deliberate new
    presentation (an image file, a typed line) rather than one frame of a continuous view.
    """

    index: int
    media_s: float
    image: Any = None
    text: str | None = None
    presentation: bool = False


class FrameSource:
    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.live = spec.isdigit()
        self._cond = threading.Condition()
        self._item: SourceItem | None = None
        self._done = False
        self._stop = threading.Event()
        self.error: SourceError | None = None
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name="frame-source", daemon=True)
        self._items = self._open()

    def start(self) -> FrameSource:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()

    def restart(self) -> None:
        """Open a live camera again after it failed (unplugged, then plugged back in);
        SourceError if it still cannot be opened."""
        items = self._open()
        with self._cond:
            self._done = False
            self._item = None
            self.error = None
        self._items = items
        self._thread = threading.Thread(target=self._run, name="frame-source", daemon=True)
        self._thread.start()

    def get(self, timeout_s: float) -> SourceItem | None:
        """The newest item, or None if none came within ``timeout_s`` (or input ended)."""
        with self._cond:
            self._cond.wait_for(lambda: self._item is not None or self._done, timeout_s)
            item, self._item = self._item, None
            self._cond.notify_all()
            return item

    @property
    def finished(self) -> bool:
        with self._cond:
            return self._done and self._item is None

    def _run(self) -> None:
        try:
            for item in self._items:
                if self._stop.is_set():
                    break
                with self._cond:
                    if not self.live:
                        self._cond.wait_for(lambda: self._item is None or self._stop.is_set())
                    elif self._item is not None:
                        self.dropped += 1
                    self._item = item
                    self._cond.notify_all()
        except SourceError as exc:
            self.error = exc
        finally:
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def _open(self) -> Iterator[SourceItem]:
        if self.spec.startswith("codes:"):
            path = Path(self.spec[len("codes:") :])
            if not path.is_file():
                raise SourceError("No code file", f"{path} does not exist")
            return _codes(path)
        if self.live:
            return _camera(int(self.spec))
        path = Path(self.spec)
        if path.is_dir():
            return _images(path)
        if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
            return _image_file(path)
        if path.is_file():
            return _video(path)
        raise SourceError("No such source", f"{self.spec!r} is no camera index, file or folder")


def _codes(path: Path) -> Iterator[SourceItem]:
    with path.open(encoding="utf-8", errors="replace") as lines:
        for i, line in enumerate(lines):
            text = line.strip()
            if text:
                yield SourceItem(i, float(i), text=text, presentation=True)


def _images(folder: Path) -> Iterator[SourceItem]:
    import cv2

    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    for i, file in enumerate(files):
        image = cv2.imread(str(file))
        if image is None:
            continue  # a half-copied or foreign file in the folder is not worth stopping for
        yield SourceItem(i, float(i), image=image, presentation=True)


def _image_file(path: Path) -> Iterator[SourceItem]:
    """One photo (an enrolment code saved from the dashboard, a test picture)."""
    import cv2

    image = cv2.imread(str(path))
    if image is None:
        raise SourceError("Cannot read image", str(path))
    yield SourceItem(0, 0.0, image=image, presentation=True)


def _video(path: Path) -> Iterator[SourceItem]:
    import cv2

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise SourceError("Cannot open video", str(path))
    try:
        i = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                return
            yield SourceItem(i, cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0, image=frame)
            i += 1
    finally:
        cap.release()


def _camera(index: int) -> Iterator[SourceItem]:
    import cv2

    cap = cv2.VideoCapture(index)
    if not cap.isOpened():
        raise SourceError("No camera", f"camera {index} could not be opened")
    cap.set(cv2.CAP_PROP_FRAME_WIDTH, 1280)
    cap.set(cv2.CAP_PROP_FRAME_HEIGHT, 720)
    try:
        i = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                raise SourceError("Camera stopped", f"camera {index} gave no frame")
            yield SourceItem(i, time.monotonic(), image=frame)
            i += 1
    finally:
        cap.release()


class RepeatFilter:
    """The code still in view is not resubmitted: a code seen within ``window_s`` (on the
    source's clock) of its last sighting is ignored; each sighting extends the window."""

    def __init__(self, window_s: float = 3.0) -> None:
        self.window_s = window_s
        self._seen: dict[str, float] = {}

    def fresh(self, text: str, item: SourceItem) -> bool:
        if item.presentation:
            return True
        last = self._seen.get(text)
        self._seen[text] = item.media_s
        if len(self._seen) > 256:  # forget long-gone codes
            cutoff = item.media_s - self.window_s
            self._seen = {k: v for k, v in self._seen.items() if v >= cutoff}
        return last is None or item.media_s - last > self.window_s
