"""The post-event report PDF: rendered by a queued job (``reports.render``); the route
waits for the job record up to 60 s, then answers with the PDF or the job to poll."""

from __future__ import annotations

import io
from typing import Any, Literal

from flask import Blueprint, jsonify, send_file
from pydantic import BaseModel, Field

from ..access import STAFF
from ..errors import AdmitError
from ..jobs import records, reports
from ..services.event import setup
from .auth import Principal
from .registry import endpoint

bp = Blueprint("reports", __name__)


class ReportQuery(BaseModel):
    lang: Literal["en", "zh"] = "en"
    wait: float = Field(default=60, ge=0, le=60, description="seconds to wait for the job")


@endpoint(bp, "/reports/event.pdf", "GET", roles=STAFF, query=ReportQuery,
          content_type="application/pdf",
          summary="Post-event report (PDF); 202 with a job to poll if it takes over `wait` s")
def event_pdf(who: Principal, query: ReportQuery) -> Any:
    job_id = reports.start_render(who.name, setup.current_event().id, query.lang)
    return _answer(reports.wait(job_id, query.wait))


@endpoint(bp, "/reports/jobs/<job_id>", "GET", roles=STAFF, content_type="application/pdf",
          summary="A report job: 200 with the PDF when done, 202 while running")
def job_result(who: Principal, job_id: str) -> Any:
    return _answer(records.view(reports.report_job(job_id)))


def _answer(job: records.JobView) -> Any:
    if job.state == records.DONE:
        return send_file(io.BytesIO(reports.output(job.id)), mimetype=reports.PDF,
                         download_name="event-report.pdf", as_attachment=True, max_age=0)
    if job.state == records.FAILED:
        raise AdmitError(f"the report job failed: {job.error}", code="job_failed",
                         details={"job": job.id})
    body = {"job": job.id, "status": job.state, "poll": f"/api/v1/reports/jobs/{job.id}",
            "job_url": f"/api/v1/jobs/{job.id}"}
    return jsonify(body), 202
