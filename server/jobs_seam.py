"""THE seam between this code and the job queue (issue 12): every background job of the
data-out work is handed over here by name, and only here.

Until the queue lands, ``submit`` runs the job on one local daemon thread of this
process and keeps its record in process memory. When the queue is merged, point
``submit``/``status`` at it (the job functions in ``JOBS`` are plain functions of plain
arguments that open their own app context, so RQ/Dramatiq can call them as they are)
and keep ``scheduled_tick`` on the queue's scheduler.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import Flask

log = logging.getLogger(__name__)
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="admit-job")
_JOBS: dict[str, Future[Any]] = {}
_LOCK = threading.Lock()


def _with_app(app: Flask, fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(**kwargs: Any) -> Any:
        with app.app_context():
            return fn(**kwargs)

    return run


def scheduled_tick(app: Flask, now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic jobs, due ones only: retention, day's-end check-out, webhook delivery.
    Each job's failure is logged and does not stop the others (one place for errors)."""
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


def submit(app: Flask, name: str, fn: Callable[..., Any], *, job_id: str | None = None,
           **kwargs: Any) -> str:
    """Run ``fn(**kwargs)`` in the background; returns the job id for ``status``/``wait``."""
    job_id = job_id or f"{name}-{uuid.uuid4().hex[:12]}"
    with _LOCK:
        _JOBS[job_id] = _EXECUTOR.submit(_with_app(app, fn), **kwargs)
    return job_id


def status(job_id: str) -> Future[Any] | None:
    with _LOCK:
        return _JOBS.get(job_id)


def wait(job_id: str, timeout_s: float) -> bool:
    """True when the job finished (either way) within ``timeout_s``."""
    future = status(job_id)
    if future is None:
        return False
    try:
        future.result(timeout=timeout_s)
    except TimeoutError:
        return False
    except Exception:  # the job failed: finished, its record says how
        return True
    return True
