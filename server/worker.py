"""The server's own scheduler: a daemon thread per server process that runs the scheduled
jobs (retention, the day's-end check-out, webhook delivery) every ``WORKER_INTERVAL_S``
seconds, so they need no cron line.

With ``REDIS_URL`` (several instances), each interval is a slot that exactly one process
of all instances claims (``SET NX PX`` on a key per slot) and runs; the others skip it.
Without Redis there is one instance, and its processes' jobs are safe to overlap (each
takes a lock or a marker in the database)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable

from flask import Flask

log = logging.getLogger(__name__)
TICKS_KEPT = 1000  # the per-slot log in Redis (who ran which slot), for operators and tests


def scheduled_tick(app: Flask, now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic jobs, due ones only. Each job's failure is logged and does not stop
    the others (one place for errors)."""
    from .models import utcnow
    from .services.data import erasure, webhooks
    from .services.entry import dayend

    moment = now or utcnow()
    done: dict[str, int] = {}
    jobs: dict[str, Callable[[], int]] = {
        "retention": lambda: erasure.run_retention(moment, app.config.get("OUTBOX_DIR")),
        "close_day": lambda: dayend.close_due(moment),
        "webhooks": lambda: webhooks.run_due(moment, float(app.config.get("WEBHOOK_BACKOFF_S", 30))),
    }
    for name, job in jobs.items():
        with app.app_context():
            try:
                done[name] = job()
            except Exception:
                log.exception("scheduled job %s failed", name)
                done[name] = -1
    return done


def ticks_key(app: Flask) -> str:
    return f"admit:{app.config['JOBS_QUEUE']}:scheduler"


def claim_slot(app: Flask, interval: float) -> int | None:
    """This interval's slot number if this process may run it, else None. Slots come
    from the wall clock, which every instance shares (NTP); the key outlives the slot,
    so a late process cannot claim it again."""
    slot = int(time.time() // interval)
    url = app.config.get("REDIS_URL")
    if not url:
        return slot
    from redis.exceptions import RedisError

    from .jobs.connection import redis_client

    key = ticks_key(app)
    try:
        client = redis_client(url)
        if not client.set(f"{key}:slot:{slot}", os.getpid(), nx=True,
                          px=max(1000, int(interval * 3000))):
            return None
        pipe = client.pipeline()
        pipe.lpush(f"{key}:ticks", f"{slot} {os.uname().nodename}:{os.getpid()}")
        pipe.ltrim(f"{key}:ticks", 0, TICKS_KEPT - 1)
        pipe.execute()
    except RedisError:
        # Redis down: skip rather than have every process of every instance run it.
        log.warning("scheduler: Redis unavailable, tick %s skipped", slot, exc_info=True)
        return None
    return slot


def run_once(app: Flask, interval: float) -> dict[str, int] | None:
    """One tick: the scheduled jobs if this process claimed the slot, else None."""
    if claim_slot(app, interval) is None:
        return None
    return scheduled_tick(app)


def start(app: Flask) -> threading.Thread | None:
    interval = float(app.config.get("WORKER_INTERVAL_S", 30))
    if interval <= 0:
        return None
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            try:
                run_once(app, interval)
            except Exception:  # never let the thread die: the next tick tries again
                log.exception("worker tick failed")

    thread = threading.Thread(target=loop, name="admit-worker", daemon=True)
    thread.start()
    return thread
