"""Job records in the database: the one place a job's state lives, whichever backend
runs it, so every instance answers ``GET /api/v1/jobs/{id}`` alike.

State moves by conditional updates (``... WHERE state = 'queued'``): a job enqueued twice
(a retry racing a redelivery) runs once, and two retries of one failure enqueue it once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select, update

from ..errors import Conflict, NotFound
from ..extensions import db
from ..models import JobRecord, utcnow
from ..services.accounts import audit
from ..services.db import transactional

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
# A running job writes a heartbeat with its progress; one silent this long lost its worker
# (killed host, OOM) and may be retried.
STALE_AFTER_S = 300


@dataclass(frozen=True)
class JobView:
    id: int
    kind: str
    state: str
    done: int
    total: int
    error: str | None
    result: dict[str, Any] | None
    created_by: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    children: dict[str, int]
    retryable: bool


def create(kind: str, params: dict[str, Any], actor: str, *, parent_id: int | None = None,
           total: int = 0) -> JobRecord:
    """Inside the caller's transaction: the record commits with whatever asked for it."""
    record = JobRecord(kind=kind, params=params, state=QUEUED, parent_id=parent_id,
                       total=total, done=0, attempts=0, failures=0, created_by=actor)
    db.session.add(record)
    db.session.flush()
    if parent_id is None:
        audit.record(actor, "job.create", f"job:{record.id}", kind=kind)
    return record


def claim(record_id: int) -> bool:
    """Take a queued job for this worker; False if another worker has it or it ended."""
    def run() -> int:
        now = utcnow()
        result = db.session.execute(
            update(JobRecord).where(JobRecord.id == record_id, JobRecord.state == QUEUED)
            .values(state=RUNNING, attempts=JobRecord.attempts + 1, started_at=now,
                    heartbeat_at=now, error=None))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    return transactional(run)() == 1


@transactional
def progress(record_id: int, done: int, total: int) -> None:
    db.session.execute(update(JobRecord).where(JobRecord.id == record_id)
                       .values(done=done, total=total, heartbeat_at=utcnow()))


@transactional
def finish(record_id: int, result: dict[str, Any] | None) -> None:
    db.session.execute(update(JobRecord).where(JobRecord.id == record_id)
                       .values(state=DONE, result=result, finished_at=utcnow(),
                               heartbeat_at=utcnow()))


@transactional
def fail(record_id: int, error: str, result: dict[str, Any] | None = None) -> None:
    db.session.execute(update(JobRecord).where(JobRecord.id == record_id)
                       .values(state=FAILED, error=error[:1000], result=result,
                               finished_at=utcnow(), failures=JobRecord.failures + 1))


def get(record_id: int) -> JobRecord:
    record = db.session.get(JobRecord, record_id)
    if record is None:
        raise NotFound(f"no job {record_id}")
    return record


def _retryable(record: JobRecord, now: dt.datetime) -> bool:
    if record.state == FAILED:
        return True
    beat = record.heartbeat_at
    return (record.state == RUNNING and beat is not None
            and (now - beat).total_seconds() > STALE_AFTER_S)


def view(record_id: int) -> JobView:
    """A job as people see it; a parent's state and progress are its children's sum."""
    record = get(record_id)
    now = utcnow()
    rows = db.session.execute(
        select(JobRecord.state, func.count(), func.sum(JobRecord.done), func.sum(JobRecord.total),
               func.sum(case((JobRecord.state == RUNNING, 1), else_=0)),
               func.max(JobRecord.heartbeat_at))
        .where(JobRecord.parent_id == record_id).group_by(JobRecord.state)).all()
    children = {state: int(count) for state, count, *_ in rows}
    state, done, total = record.state, record.done, record.total
    retryable = _retryable(record, now)
    if children and record.state == DONE:
        done = sum(int(r[2] or 0) for r in rows)
        total = sum(int(r[3] or 0) for r in rows)
        if children.get(QUEUED) or children.get(RUNNING):
            state = RUNNING
        elif children.get(FAILED):
            state = FAILED
        stale = [r for r in rows if r[0] == RUNNING and r[5] is not None
                 and (now - _aware(r[5])).total_seconds() > STALE_AFTER_S]
        retryable = bool(children.get(FAILED) or stale)
    return JobView(id=record.id, kind=record.kind, state=state, done=done, total=total,
                   error=record.error if record.state == FAILED else _child_error(record_id),
                   result=record.result, created_by=record.created_by,
                   created_at=record.created_at, finished_at=record.finished_at,
                   children=children, retryable=retryable)


def _aware(value: dt.datetime | str) -> dt.datetime:
    # Aggregates bypass the column type: SQLite hands back text or a naive UTC time.
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _child_error(parent_id: int) -> str | None:
    failed = db.session.execute(
        select(JobRecord.id, JobRecord.error).where(JobRecord.parent_id == parent_id,
                                                    JobRecord.state == FAILED)
        .order_by(JobRecord.id).limit(1)).first()
    return f"job {failed[0]}: {failed[1]}" if failed is not None else None


@transactional
def requeue(record_id: int, *, actor: str) -> list[int]:
    """Put a failed (or abandoned) job, or a parent's failed children, back in the queue;
    returns the ids the caller must hand to the backend. Sending resumes: confirmed
    mails are skipped because their state was committed after each send."""
    now = utcnow()
    record = get(record_id)
    targets = [record.id]
    if record.state == DONE:
        targets = list(db.session.scalars(
            select(JobRecord.id).where(JobRecord.parent_id == record_id)
            .where(JobRecord.state.in_((FAILED, RUNNING))).order_by(JobRecord.id)))
    taken: list[int] = []
    for target in targets:
        candidate = get(target)
        if not _retryable(candidate, now):
            continue
        result = db.session.execute(
            update(JobRecord).where(JobRecord.id == target,
                                    JobRecord.state == candidate.state,
                                    JobRecord.attempts == candidate.attempts)
            .values(state=QUEUED, error=None, finished_at=None))
        if result.rowcount:  # type: ignore[attr-defined]
            taken.append(target)
    if not taken:
        raise Conflict(f"job {record_id} has nothing to retry (state {record.state})",
                       code="not_retryable")
    audit.record(actor, "job.retry", f"job:{record_id}", jobs=taken)
    return taken


def active(kind: str) -> JobRecord | None:
    """The newest unfinished top-level job of this kind (one bulk send at a time)."""
    for record in db.session.scalars(
            select(JobRecord).where(JobRecord.kind == kind, JobRecord.parent_id.is_(None))
            .order_by(JobRecord.id.desc()).limit(5)):
        if view(record.id).state in (QUEUED, RUNNING):
            return record
    return None


def counts() -> list[tuple[str, str, int, int]]:
    """(kind, state, records, failed runs) for the metrics."""
    return [(kind, state, int(n), int(failed or 0)) for kind, state, n, failed in db.session.execute(
        select(JobRecord.kind, JobRecord.state, func.count(), func.sum(JobRecord.failures))
        .group_by(JobRecord.kind, JobRecord.state))]
