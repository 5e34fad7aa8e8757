"""Admin pages for background jobs: start a bulk badge send, watch its progress, retry
what failed. The same services as ``/api/v1/jobs``."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..access import ADMIN, actor, roles_required
from ..jobs import records, runner
from ..jobs.badges import start_bulk_send
from .i18n import gettext

bp = Blueprint("web_jobs", __name__, url_prefix="/admin/jobs")


@bp.post("/send-badges")
@roles_required(ADMIN)
def send_badges() -> Response:
    record_id = start_bulk_send(actor(), resend=request.form.get("resend") == "on")
    flash(gettext("Badge emails queued."), "info")
    return redirect(url_for("web_jobs.job_page", job_id=record_id))


@bp.get("/<int:job_id>")
@roles_required(ADMIN)
def job_page(job_id: int) -> str:
    return render_template("web/admin_job.html", job=records.view(job_id))


@bp.post("/<int:job_id>/retry")
@roles_required(ADMIN)
def retry(job_id: int) -> Response:
    runner.submit(records.requeue(job_id, actor=actor()))
    flash(gettext("Queued again: sending resumes where it stopped."), "info")
    return redirect(url_for("web_jobs.job_page", job_id=job_id))
