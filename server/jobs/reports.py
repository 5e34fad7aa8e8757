"""The post-event report PDF as a queued job (``reports.render``): a worker on any host
renders it and files the bytes in ``job_outputs``, so whichever instance answers the
poll hands out the same PDF (no shared folder between hosts)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from sqlalchemy import delete, select

from ..errors import NotFound
from ..extensions import db
from ..models import Event, JobOutput, JobRecord, utcnow
from ..services.db import transactional
from . import records, runner
from .registry import JobContext, job

RENDER = "reports.render"
PDF = "application/pdf"
KEEP = dt.timedelta(days=1)  # reports name people only in aggregate, but need not pile up


def start_render(actor: str, event_id: int, lang: str) -> int:
    """Queue a render of ``event_id``'s report; returns the job id."""
    def run() -> int:
        # Drop outputs of finished report jobs older than a day with each new one.
        old = select(JobRecord.id).where(JobRecord.kind == RENDER,
                                         JobRecord.created_at < utcnow() - KEEP)
        db.session.execute(delete(JobOutput).where(JobOutput.job_id.in_(old)))
        return runner.enqueue(RENDER, {"event_id": event_id, "lang": lang}, actor, total=1)

    record_id = transactional(run)()
    runner.submit([record_id])
    return record_id


@job(RENDER)
def render_report(ctx: JobContext) -> dict[str, Any]:
    from ..services.data.reports.render import render_pdf

    event = db.session.get(Event, ctx.params["event_id"])
    if event is None:
        raise NotFound(f"no event {ctx.params['event_id']}")
    pdf = render_pdf(event, str(ctx.params.get("lang", "en")))

    @transactional
    def file() -> None:
        # A retried job replaces what an earlier, interrupted run may have left.
        db.session.execute(delete(JobOutput).where(JobOutput.job_id == ctx.record_id))
        db.session.add(JobOutput(job_id=ctx.record_id, content_type=PDF, data=pdf))

    file()
    ctx.set_total(1)
    ctx.advance()
    return {"bytes": len(pdf)}


def wait(record_id: int, timeout_s: float) -> records.JobView:
    """The job's record once it ended, or as it stands after ``timeout_s``. Reads the
    database (any backend, any host ran it), a fresh snapshot each look; the interval
    grows so a long render costs a handful of queries a second."""
    deadline = time.monotonic() + timeout_s
    pause = 0.02
    while True:
        db.session.rollback()
        view = records.view(record_id)
        left = deadline - time.monotonic()
        if view.state in (records.DONE, records.FAILED) or left <= 0:
            return view
        time.sleep(min(pause, left))  # waiting on another process's commit
        pause = min(pause * 2, 0.25)


def output(record_id: int) -> bytes:
    found = db.session.get(JobOutput, record_id)
    if found is None:
        raise NotFound(f"job {record_id} has no report (kept for a day)")
    return found.data


def report_job(job_ref: str) -> int:
    """A report job's id from the URL; any other id (or kind) is not found."""
    if not job_ref.isdigit():
        raise NotFound(f"no report job {job_ref!r}")
    record = db.session.get(JobRecord, int(job_ref))
    if record is None or record.kind != RENDER:
        raise NotFound(f"no report job {job_ref!r}")
    return record.id
