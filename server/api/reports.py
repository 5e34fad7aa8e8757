"""The post-event report PDF: rendered by a job; the route waits for it up to 60 s."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Literal

from flask import Blueprint, Response, current_app, jsonify, send_file
from pydantic import BaseModel, Field

from .. import jobs_seam
from ..access import STAFF
from ..errors import AdmitError
from ..services.data.reports import jobs
from ..services.event import setup
from .auth import Principal
from .registry import endpoint

bp = Blueprint("reports", __name__)


class ReportQuery(BaseModel):
    lang: Literal["en", "zh"] = "en"
    wait: float = Field(default=60, ge=0, le=60, description="seconds to wait for the job")


def _pdf(path: Path) -> Response:
    response = send_file(path, mimetype="application/pdf", download_name="event-report.pdf",
                         as_attachment=True, max_age=0)
    return response


def _accepted(job_id: str) -> Any:
    body = {"job": job_id, "status": "running", "poll": f"/api/v1/reports/jobs/{job_id}"}
    return jsonify(body), 202


@endpoint(bp, "/reports/event.pdf", "GET", roles=STAFF, query=ReportQuery,
          content_type="application/pdf",
          summary="Post-event report (PDF); 202 with a job to poll if it takes over `wait` s")
def event_pdf(who: Principal, query: ReportQuery) -> Any:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    instance = app.instance_path
    job_id = f"report-{uuid.uuid4().hex[:12]}"
    jobs.mark_pending(instance, job_id)
    jobs_seam.submit(app, "report", jobs.render_report_job, job_id=job_id,
                     event_id=setup.current_event().id, lang=query.lang, instance_path=instance,
                     report_id=job_id)
    jobs_seam.wait(job_id, query.wait)
    return _answer(job_id)


@endpoint(bp, "/reports/jobs/<job_id>", "GET", roles=STAFF, content_type="application/pdf",
          summary="A report job: 200 with the PDF when done, 202 while running")
def job_result(who: Principal, job_id: str) -> Any:
    return _answer(job_id)


def _answer(job_id: str) -> Any:
    state, value = jobs.state(current_app.instance_path, job_id)
    if state == "done":
        return _pdf(Path(str(value)))
    if state == "failed":
        raise AdmitError(f"the report job failed: {value}", code="job_failed")
    return _accepted(job_id)
