"""The thread manager: owns every thread of the gate program (probe, sync, heartbeat,
the scan loop, typed entry, name search) and handles their errors in one place.

A worker is a step called in a loop. A ScannerError from a step is shown (the facade's
``report_error``); anything else is a bug: logged with its traceback, shown on the
screen, and the step runs again after a growing pause, so no thread dies silently and
the window never keeps showing a gate that scans nothing. The window only enqueues
input here and reads the facade.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .app import GateApp
from .errors import ScannerError
from .outcomes import Outcome
from .pipeline import CameraWatch, scan_loop
from .source import FrameSource, RepeatFilter, SourceItem

log = logging.getLogger("scanner_client.workers")

DONE = object()  # what a step returns when its work is finished for good (input ended)
FAULT_SHOWN_S = 30.0  # how long a restarted worker's fault stays on the status line
MAX_BACKOFF_S = 10.0


@dataclass
class Worker:
    name: str
    step: Callable[[], object]  # returns DONE when the work is finished for good
    interval_s: float = 0.0
    wake: threading.Event | None = None
    failures: int = 0
    thread: threading.Thread | None = field(default=None, repr=False)


class WorkerManager:
    def __init__(self, app: GateApp) -> None:
        self.app = app
        self._stop = threading.Event()
        self._typed: queue.Queue[Callable[[], None]] = queue.Queue()
        self._searches: queue.Queue[Callable[[], None]] = queue.Queue()
        settings = app.settings
        self.workers = [
            Worker("probe", app.probe_once, settings.probe_interval_s),
            Worker("sync", app.sync_once, settings.sync_interval_s, app.wake_sync),
            Worker("heartbeat", app.heartbeat_once, settings.heartbeat_interval_s),
            Worker("typed entry", lambda: self._next_job(self._typed)),
            Worker("search", lambda: self._next_job(self._searches)),
        ]
        if app.lan is not None:
            from .lan.state import HEARTBEAT_S

            self.workers += [Worker("lan receive", app.lan.node.receive_once),
                             Worker("lan heartbeat", app.lan.tick, HEARTBEAT_S)]

    # --- lifecycle ------------------------------------------------------------------

    def start(self) -> WorkerManager:
        for worker in self.workers:
            self._spawn(worker)
        discovery = self.app.lan.discovery if self.app.lan is not None else None
        if discovery is not None:
            def announce() -> object:
                # Registering probes the network for a second or two: not on the caller's
                # thread. zeroconf's own threads are stopped in stop().
                try:
                    discovery.start()
                except OSError as exc:  # no multicast here: --peer still works
                    raise ScannerError("No mDNS", str(exc)) from exc
                return DONE

            mdns = Worker("mdns", announce)
            self.workers.append(mdns)
            self._spawn(mdns)
        return self

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        if self.app.lan is not None and self.app.lan.discovery is not None:
            self.app.lan.discovery.stop()
        for worker in self.workers:
            if worker.wake is not None:
                worker.wake.set()
        for worker in self.workers:
            if worker.thread is not None:
                worker.thread.join(timeout_s)

    @property
    def stopping(self) -> threading.Event:
        return self._stop

    # --- input ----------------------------------------------------------------------

    def start_scanning(
        self,
        source: FrameSource,
        repeat: RepeatFilter,
        on_outcome: Callable[[Outcome], None],
        on_frame: Callable[[SourceItem], None] | None = None,
    ) -> Worker:
        """The scan loop on its own supervised thread, until the input ends. A live camera
        that fails is shown and opened again (it may be plugged back in)."""
        watch = CameraWatch(self.app, self.app.settings.camera_silence_s)

        def step() -> object:
            scan_loop(self.app, source, repeat, on_outcome, on_frame, self._stop, watch)
            if self._stop.is_set() or source.error is None:
                return DONE  # stopped, or recorded input ended
            self.app.report_error("camera", source.error)
            if not source.live:
                return DONE
            source.restart()  # SourceError while still unplugged: shown, retried later
            self.app.clear_error("camera")
            return None

        worker = Worker("scanning", step)
        self.workers.append(worker)
        self._spawn(worker)
        return worker

    def scan_until_done(self, source: FrameSource, repeat: RepeatFilter,
                        on_outcome: Callable[[Outcome], None]) -> None:
        """Headless: scan on the supervised thread and wait for the input to end."""
        worker = self.start_scanning(source, repeat, on_outcome)
        assert worker.thread is not None
        worker.thread.join()

    def submit_typed(self, text: str, on_outcome: Callable[[Outcome], None]) -> None:
        """A typed or wedge-scanned code: decided on the typed-entry worker, in order (the
        online attempt may take the whole budget, which the Tk thread must not wait on)."""
        self._typed.put(lambda: on_outcome(self.app.submit(text)))

    def search(self, query: str, on_result: Callable[[list[dict[str, Any]]], None]) -> None:
        """Name search on its own worker (it may take seconds); an error is shown and the
        result is empty."""
        def job() -> None:
            try:
                results = self.app.search_names(query) if query else []
            except ScannerError:
                on_result([])
                raise
            self.app.clear_error("search")
            on_result(results)

        self._searches.put(job)

    # --- the one place errors are handled ---------------------------------------------

    def _spawn(self, worker: Worker) -> None:
        worker.thread = threading.Thread(target=self._loop, args=(worker,), name=worker.name,
                                         daemon=True)
        worker.thread.start()

    def _loop(self, worker: Worker) -> None:
        while not self._stop.is_set():
            delay = worker.interval_s
            try:
                if worker.step() is DONE:
                    return
                worker.failures = 0
            except ScannerError as exc:
                self.app.report_error(worker.name, exc)
                worker.failures += 1
                delay = max(delay, self._backoff(worker))
            except Exception as exc:  # a bug: the gate stays up and says so
                log.exception("worker %s failed; restarting", worker.name)
                self.app.report_error(worker.name, ScannerError(
                    f"Fault in {worker.name}, restarted", f"{type(exc).__name__}: {exc}"),
                    show_s=FAULT_SHOWN_S)
                worker.failures += 1
                delay = max(delay, self._backoff(worker))
            if worker.wake is not None:
                # Waiting on an event lets the probe start an upload the moment the link
                # returns instead of at the next tick.
                worker.wake.wait(delay)
                worker.wake.clear()
            elif delay > 0:
                self._stop.wait(delay)

    @staticmethod
    def _backoff(worker: Worker) -> float:
        return float(min(MAX_BACKOFF_S, 0.25 * 2.0 ** min(worker.failures, 6)))

    def _next_job(self, jobs: queue.Queue[Callable[[], None]]) -> None:
        try:
            job = jobs.get(timeout=0.2)
        except queue.Empty:
            return
        job()
