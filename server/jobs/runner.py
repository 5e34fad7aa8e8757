"""Running one job record: claim it, call its function, record the outcome. Failures are
recorded here, in one place, whichever backend called."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

from ..errors import AdmitError
from ..extensions import db
from . import records
from .registry import JobContext, JobFailed, lookup

log = logging.getLogger(__name__)
PROGRESS_EVERY_S = 1.0
_worker_app: Flask | None = None
_worker_pid: int | None = None


def run(app: Flask, record_id: int, enqueue: Callable[[int], None]) -> str:
    """Returns the state the record ended in (or ``skipped`` when it was not queued)."""
    with app.app_context():
        try:
            return _run(record_id, enqueue)
        finally:
            db.session.remove()


def _run(record_id: int, enqueue: Callable[[int], None]) -> str:
    if not records.claim(record_id):
        return "skipped"
    record = records.get(record_id)
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_S or done >= total:
            last[0] = now
            records.progress(record_id, done, total)

    ctx = JobContext(record_id=record_id, params=dict(record.params), report=report)
    try:
        fn = lookup(record.kind)
        result = fn(ctx)
    except JobFailed as exc:
        db.session.rollback()
        records.progress(record_id, ctx.done, ctx.total)
        records.fail(record_id, exc.message, exc.result)
        return records.FAILED
    except Exception as exc:
        db.session.rollback()
        log.exception("job %s (%s) failed", record_id, record.kind)
        records.fail(record_id, f"{type(exc).__name__}: {exc}")
        return records.FAILED
    records.progress(record_id, ctx.done, ctx.total)
    records.finish(record_id, result)
    # Children run only once the parent's record says done, so none is missed by view().
    _hand_over(ctx.children, enqueue)
    return records.DONE


def run_in_worker(record_id: int) -> str:
    """RQ's entry point, in a ``flask --app server worker`` process."""
    app = _app_for_this_process()
    from .backends import backend

    return run(app, record_id, backend(app).enqueue)


def use_app(app: Flask) -> None:
    global _worker_app
    _worker_app = app


def _app_for_this_process() -> Flask:
    global _worker_app, _worker_pid
    if _worker_app is None:
        from .. import create_app

        _worker_app = create_app()
    if _worker_pid != os.getpid():
        # A forked worker must not share the parent's pooled database sockets.
        with _worker_app.app_context():
            db.engine.dispose(close=False)
        _worker_pid = os.getpid()
    return _worker_app


def enqueue(kind: str, params: dict[str, Any], actor: str, total: int = 0) -> int:
    """Create a job record in the caller's transaction; the caller hands the id to
    ``submit`` after commit."""
    return records.create(kind, params, actor, total=total).id


def submit(record_ids: list[int]) -> None:
    from .backends import backend

    be = backend(current_app._get_current_object())  # type: ignore[attr-defined]
    if not _hand_over(record_ids, be.enqueue):
        raise QueueUnavailable("the job queue is unavailable; the job is marked failed, "
                               "retry it when the queue is back", details={"jobs": record_ids})


class QueueUnavailable(AdmitError):
    status = 503
    code = "queue_unavailable"


def _hand_over(record_ids: list[int], enqueue: Callable[[int], None]) -> bool:
    """Enqueue committed records; one the queue refuses (Redis down) is marked failed,
    so it shows as retryable instead of waiting forever as queued."""
    ok = True
    for record_id in record_ids:
        try:
            enqueue(record_id)
        except Exception as exc:  # any queue failure; the record says which
            log.exception("could not queue job %s", record_id)
            records.fail(record_id, f"could not queue: {type(exc).__name__}: {exc}")
            ok = False
    return ok
