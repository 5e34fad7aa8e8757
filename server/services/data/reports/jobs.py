"""The report PDF as a job: rendered off the request, filed under the instance folder so
any server process can hand it out (``<job>.pending`` -> ``<job>.pdf`` or ``<job>.error``)."""

from __future__ import annotations

import contextlib
import os
import re
import time
from pathlib import Path

from ....errors import NotFound
from ....extensions import db
from ....models import Event

_JOB_ID = re.compile(r"^report-[0-9a-f]{12}$")


def folder(instance_path: str) -> Path:
    path = Path(instance_path) / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


KEEP_S = 24 * 3600


def mark_pending(instance_path: str, job_id: str) -> None:
    """File the new job, and drop finished ones older than a day (reports name people
    only in aggregate, but they need not pile up)."""
    where = folder(instance_path)
    cutoff = time.time() - KEEP_S
    for old in where.glob("report-*"):
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < cutoff:
                old.unlink()
    (where / f"{job_id}.pending").touch()


def render_report_job(event_id: int, lang: str, instance_path: str, report_id: str) -> str:
    """The job function (plain arguments, so a queue worker can call it as it is)."""
    from .render import render_pdf

    base = folder(instance_path) / report_id
    try:
        event = db.session.get(Event, event_id)
        if event is None:
            raise NotFound(f"no event {event_id}")
        pdf = render_pdf(event, lang)
        tmp = base.with_suffix(".tmp")
        tmp.write_bytes(pdf)
        os.replace(tmp, base.with_suffix(".pdf"))  # readers see a whole file or none
    except Exception as exc:
        base.with_suffix(".error").write_text(f"{type(exc).__name__}: {exc}")
        raise
    finally:
        base.with_suffix(".pending").unlink(missing_ok=True)
    return str(base.with_suffix(".pdf"))


def state(instance_path: str, job_id: str) -> tuple[str, Path | str | None]:
    """("done", pdf path) | ("failed", message) | ("running", None); NotFound otherwise."""
    if not _JOB_ID.match(job_id):
        raise NotFound(f"no job {job_id!r}")
    base = folder(instance_path) / job_id
    if base.with_suffix(".pdf").exists():
        return "done", base.with_suffix(".pdf")
    if base.with_suffix(".error").exists():
        return "failed", base.with_suffix(".error").read_text()
    if base.with_suffix(".pending").exists():
        return "running", None
    raise NotFound(f"no job {job_id!r}")
