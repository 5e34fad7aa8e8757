"""Bulk badge sending as jobs: one planning job splits the attendees due a mail into
disjoint chunks, and each chunk is a job of its own, so several worker processes send
in parallel and no attendee is in two chunks of one send.

Each chunk sends through ``services.delivery.send_all``, unchanged: state committed
before and after each send, one Message-ID per attendee and revision. A chunk run again
(retry after a failure or a lost worker) asks ``delivery.due`` again, so it sends only
what was not confirmed. One bulk send runs at a time (``start_bulk_send`` refuses a
second while one is unfinished), so two sends never split the same attendees twice.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select

from ..errors import Conflict
from ..extensions import db
from ..models import Event
from ..services.db import transactional
from ..services.event import setup
from ..services.mail import delivery
from . import records, runner
from .registry import JobContext, JobFailed, job

BULK, CHUNK = "badges.send", "badges.send_chunk"
CHUNK_SIZE = 50


def start_bulk_send(actor: str, *, resend: bool = False, only: list[int] | None = None) -> int:
    """Queue a bulk send; returns its job id. Refused while another is unfinished."""
    def run() -> int:
        event = setup.current_event()
        # Lock the event row: two clicks at once queue one send, on both databases.
        db.session.execute(select(Event.id).where(Event.id == event.id).with_for_update())
        running = records.active(BULK)
        if running is not None:
            raise Conflict(f"a badge send is already running (job {running.id})",
                           code="job_running", details={"job": running.id})
        return runner.enqueue(BULK, {"event_id": event.id, "resend": resend, "only": only},
                              actor)

    record_id = transactional(run)()
    runner.submit([record_id])
    return record_id


@job(BULK)
def plan_bulk_send(ctx: JobContext) -> dict[str, Any]:
    event = db.session.get(Event, ctx.params["event_id"])
    assert event is not None
    ids = delivery.due(event, ctx.params.get("only"), bool(ctx.params.get("resend")))
    size = max(1, int(current_app.config.get("JOBS_CHUNK_SIZE", CHUNK_SIZE)))
    chunks = [ids[i:i + size] for i in range(0, len(ids), size)]

    def create() -> list[int]:
        parent = records.get(ctx.record_id)
        return [records.create(CHUNK, {"event_id": event.id, "attendees": chunk,
                                       "resend": bool(ctx.params.get("resend"))},
                               parent.created_by, parent_id=ctx.record_id, total=len(chunk)).id
                for chunk in chunks]

    ctx.children.extend(transactional(create)())
    ctx.set_total(len(ids))
    ctx.advance(len(ids))  # the plan itself is complete; the children carry the sending
    return {"attendees": len(ids), "chunks": len(chunks)}


@job(CHUNK)
def send_chunk(ctx: JobContext) -> dict[str, Any]:
    event = db.session.get(Event, ctx.params["event_id"])
    assert event is not None
    chunk: list[int] = ctx.params["attendees"]
    # Resuming: what was confirmed on an earlier run is not due any more, even in a resend.
    first_run = records.get(ctx.record_id).attempts == 1
    ids = delivery.due(event, chunk, bool(ctx.params.get("resend")) and first_run)
    ctx.total = len(chunk)
    ctx.advance(len(chunk) - len(ids))
    transport = delivery.make_transport()
    try:
        report = delivery.send_all(
            event, ids, transport, rate_per_s=float(current_app.config["MAIL_RATE_PER_S"]),
            retries=int(current_app.config["MAIL_RETRIES"]),
            backoff_s=float(current_app.config["MAIL_BACKOFF_S"]),
            on_progress=lambda _id, _state: ctx.advance(), actor=f"job:{ctx.record_id}")
    finally:
        transport.close()
    result = {"sent": report.sent, "failed": report.failed, "rejected": report.rejected}
    if report.interrupted:
        raise JobFailed("interrupted (worker stopping); retry resumes", result)
    if report.failed:
        raise JobFailed(f"{report.failed} email(s) failed for now; retry sends them", result)
    return result
