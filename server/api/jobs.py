"""Background jobs: start a bulk badge send, follow any job, retry a failed one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint
from pydantic import BaseModel, Field

from shared import MAX_ID

from ..access import ADMIN
from ..jobs import records, runner
from ..jobs.badges import start_bulk_send
from .auth import Principal
from .registry import endpoint

bp = Blueprint("jobs", __name__)


class JobOut(BaseModel):
    id: int
    kind: str
    state: str = Field(description="queued, running, done or failed")
    done: int
    total: int
    error: str | None
    result: dict[str, Any] | None
    created_by: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    children: dict[str, int] = Field(description="a fanned-out job's parts by state")
    retryable: bool


class SendBadgesIn(BaseModel):
    resend: bool = Field(default=False, description="also those already delivered")
    attendees: list[int] | None = Field(default=None, max_length=100_000,
                                        description="only these attendee ids")

    def only(self) -> list[int] | None:
        return [i for i in self.attendees if 0 <= i <= MAX_ID] if self.attendees else None


def job_out(record_id: int) -> JobOut:
    view = records.view(record_id)
    return JobOut(**view.__dict__)


@endpoint(bp, "/jobs/<int:job_id>", "GET", roles=ADMIN, response=JobOut,
          summary="A job: state, progress, error")
def get_job(who: Principal, job_id: int) -> JobOut:
    return job_out(job_id)


@endpoint(bp, "/jobs/<int:job_id>/retry", "POST", roles=ADMIN, response=JobOut, status=202,
          summary="Queue a failed job (or a bulk send's failed parts) again; sending resumes")
def retry_job(who: Principal, job_id: int) -> JobOut:
    runner.submit(records.requeue(job_id, actor=who.name))
    return job_out(job_id)


@endpoint(bp, "/jobs/send-badges", "POST", roles=ADMIN, body=SendBadgesIn, response=JobOut,
          status=202, summary="Email badges to everyone due one, as jobs on the worker queue")
def send_badges(who: Principal, body: SendBadgesIn) -> JobOut:
    return job_out(start_bulk_send(who.name, resend=body.resend, only=body.only()))
