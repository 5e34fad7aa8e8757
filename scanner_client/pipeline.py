"""The scan pipeline: source -> decoder -> facade, one item at a time.

``frame_texts`` turns a source into the texts each item carries (scanning and enrolment
both read codes through it); ``scan_loop`` hands each fresh text to the facade and its
outcome to the caller. Neither owns a thread: the WorkerManager runs them and restarts
them when something breaks.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from .errors import ScannerError, SourceError
from .outcomes import Outcome
from .source import FrameSource, RepeatFilter, SourceItem

if TYPE_CHECKING:
    from .app import GateApp

class CameraWatch:
    """Shows a live camera that stopped giving pictures (unplugged, taken by another
    program, a hung driver: the read blocks rather than fails) and clears it when
    pictures come back."""

    def __init__(self, app: GateApp, silence_s: float) -> None:
        self.app = app
        self.silence_s = silence_s
        self.last = time.monotonic()
        self.lost = False

    def saw_item(self) -> None:
        self.last = time.monotonic()
        if self.lost:
            self.lost = False
            self.app.clear_error("camera")

    def idle(self) -> None:
        if not self.lost and time.monotonic() - self.last > self.silence_s:
            self.lost = True
            self.app.report_error("camera", SourceError(
                "No camera picture", f"no frame for {self.silence_s:.0f} s: check the camera"))


def frame_texts(
    source: FrameSource,
    *,
    on_frame: Callable[[SourceItem], None] | None = None,
    stop: threading.Event | None = None,
    deadline: float = math.inf,
    watch: CameraWatch | None = None,
) -> Iterator[tuple[SourceItem, list[str]]]:
    """Each item of the source with the distinct texts it carries (a wedge line, or the
    codes decoded in a frame), until the input ends, ``stop`` is set or the deadline
    passes. The decoder is created on first use: a wedge-only gate never loads it."""
    decoder = None
    while time.monotonic() < deadline and not (stop is not None and stop.is_set()):
        item = source.get(min(0.2, max(deadline - time.monotonic(), 0.0)))
        if item is None:
            if source.finished:
                return
            if watch is not None and source.live:
                watch.idle()
            continue
        if watch is not None:
            watch.saw_item()
        if on_frame is not None and item.image is not None:
            on_frame(item)
        if item.text is not None:
            yield item, [item.text]
            continue
        if decoder is None:
            from .decoder import FrameDecoder

            decoder = FrameDecoder()
        yield item, list(dict.fromkeys(c.text for c in decoder.decode(item.image)))


def scan_loop(
    app: GateApp,
    source: FrameSource,
    repeat: RepeatFilter,
    on_outcome: Callable[[Outcome], None],
    on_frame: Callable[[SourceItem], None] | None = None,
    stop: threading.Event | None = None,
    watch: CameraWatch | None = None,
) -> None:
    """source -> decoder -> facade, until the input ends or ``stop`` is set. A
    ScannerError of one scan is shown and the loop goes on; anything else propagates to
    the WorkerManager, which shows it and restarts the loop."""
    for item, texts in frame_texts(source, on_frame=on_frame, stop=stop, watch=watch):
        for text in texts:
            if repeat.fresh(text, item):
                try:
                    outcome = app.submit(text)
                except ScannerError as exc:
                    app.report_error("scan", exc)
                    continue
                on_outcome(outcome)
