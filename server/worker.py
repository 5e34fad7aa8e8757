"""The server's own worker: a daemon thread per server process that runs the scheduled
jobs (``jobs_seam.scheduled_tick``) every ``WORKER_INTERVAL_S`` seconds, so retention,
the day's-end check-out and webhook deliveries need no cron line. Every job is safe to
run from several processes at once (each takes a lock or a marker in the database)."""

from __future__ import annotations

import logging
import threading

from flask import Flask

from . import jobs_seam

log = logging.getLogger(__name__)


def start(app: Flask) -> threading.Thread | None:
    interval = float(app.config.get("WORKER_INTERVAL_S", 30))
    if interval <= 0:
        return None
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            try:
                jobs_seam.scheduled_tick(app)
            except Exception:  # never let the thread die: the next tick tries again
                log.exception("worker tick failed")

    thread = threading.Thread(target=loop, name="admit-worker", daemon=True)
    thread.start()
    return thread
