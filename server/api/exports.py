"""Exports: attendees, the scan log and attendance as CSV (streamed) or XLSX."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, stream_with_context
from pydantic import BaseModel, Field

from shared.schemas import CleanStr

from ..access import ADMIN, STAFF
from ..errors import NotFound
from ..models import Event
from ..services.data import exports, tabular
from ..services.event import setup
from .auth import Principal
from .registry import endpoint

bp = Blueprint("exports", __name__)
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class ExportQuery(BaseModel):
    day: dt.date | None = Field(default=None, description="event day, YYYY-MM-DD")
    zone: CleanStr | None = Field(default=None, max_length=120, description="zone name or id")
    gate: CleanStr | None = Field(default=None, max_length=120, description="gate name or id")
    level: CleanStr | None = Field(default=None, max_length=120, description="access level name or id")


def export_response(event: Event, kind: str, fmt: str, query: ExportQuery) -> Response:
    """Shared with the dashboard's download links: same filters, same files."""
    if fmt not in FORMATS:
        raise NotFound(f"no export format {fmt!r} (csv or xlsx)")
    filters = exports.resolve_filters(event, query.day, query.zone, query.gate, query.level)
    header, rows = exports.table(event, kind, filters)
    suffix = f"-{query.day.isoformat()}" if query.day else ""
    name = f"{kind}{suffix}.{fmt}"
    if fmt == "csv":
        body = stream_with_context(tabular.csv_stream(header, rows))
    else:
        body = tabular.file_chunks(tabular.xlsx_file(kind, header, rows))
    response = Response(body, mimetype=FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@endpoint(bp, "/exports/attendees.<fmt>", "GET", roles=ADMIN, query=ExportQuery,
          content_type="text/csv", summary="Attendees as csv or xlsx (with first admit, no-shows)")
def export_attendees(who: Principal, fmt: str, query: ExportQuery) -> Response:
    return export_response(setup.current_event(), "attendees", fmt, query)


@endpoint(bp, "/exports/scans.<fmt>", "GET", roles=STAFF, query=ExportQuery,
          content_type="text/csv", summary="The scan log as csv or xlsx, oldest first")
def export_scans(who: Principal, fmt: str, query: ExportQuery) -> Response:
    return export_response(setup.current_event(), "scans", fmt, query)


@endpoint(bp, "/exports/attendance.<fmt>", "GET", roles=STAFF, query=ExportQuery,
          content_type="text/csv",
          summary="Attendance per day x zone x access level: arrived, peak inside, median stay")
def export_attendance(who: Principal, fmt: str, query: ExportQuery) -> Response:
    return export_response(setup.current_event(), "attendance", fmt, query)
