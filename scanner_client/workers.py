"""The thread manager: owns the background threads and handles their errors in one place.

Each worker is a small function called in a loop; an exception from it never kills the
thread: ScannerErrors go to the facade's ``report_error`` (shown on screen), anything
else is logged with its traceback, and the loop backs off a little before the next call.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .app import GateApp
from .errors import ScannerError
from .source import FrameSource, RepeatFilter, SourceItem
from .verdicts import GateVerdict

log = logging.getLogger("scanner_client.workers")


@dataclass
class Worker:
    name: str
    step: Callable[[], object]
    interval_s: float
    wake: threading.Event | None = None


class WorkerManager:
    def __init__(self, app: GateApp) -> None:
        self.app = app
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.workers = [
            Worker("probe", app.probe_once, app.settings.probe_interval_s),
            Worker("sync", app.sync_once, app.settings.sync_interval_s, app.wake_sync),
            Worker("heartbeat", app.heartbeat_once, 15.0),
        ]

    def start(self) -> WorkerManager:
        for worker in self.workers:
            thread = threading.Thread(target=self._loop, args=(worker,), name=worker.name,
                                      daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        for worker in self.workers:
            if worker.wake is not None:
                worker.wake.set()
        for thread in self._threads:
            thread.join(timeout_s)

    def _loop(self, worker: Worker) -> None:
        while not self._stop.is_set():
            delay = worker.interval_s
            try:
                worker.step()
            except ScannerError as exc:
                self.app.report_error(worker.name, exc)
            except Exception:  # the one place a bug in a worker is caught, so the gate stays up
                log.exception("worker %s failed", worker.name)
                delay = max(delay, 1.0)
            if worker.wake is not None:
                # Waiting on an event lets the probe start an upload the moment the link
                # returns instead of at the next tick.
                worker.wake.wait(delay)
                worker.wake.clear()
            else:
                self._stop.wait(delay)


def frame_texts(
    source: FrameSource,
    *,
    on_frame: Callable[[SourceItem], None] | None = None,
    stop: threading.Event | None = None,
    deadline: float = math.inf,
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
            continue
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
    on_verdict: Callable[[GateVerdict], None],
    on_frame: Callable[[SourceItem], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """source -> decoder -> facade, until the input ends or ``stop`` is set."""
    for item, texts in frame_texts(source, on_frame=on_frame, stop=stop):
        for text in texts:
            if repeat.fresh(text, item):
                try:
                    on_verdict(app.submit(text))
                except ScannerError as exc:
                    app.report_error("scan", exc)
