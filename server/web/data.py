"""Data out from the dashboard: export downloads (the same files as the API's)."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from pydantic import ValidationError

from ..access import ADMIN, STAFF, roles_required, signed_in_user
from ..api.exports import ExportQuery, export_response
from ..errors import ValidationFailed
from ..services.event import setup

bp = Blueprint("data", __name__, url_prefix="/dashboard")


@bp.get("/exports")
@roles_required(STAFF)
def export_page() -> str:
    event = setup.current_event()
    user = signed_in_user()
    kinds = ["scans", "attendance"] + (["attendees"] if user and user.role in ADMIN else [])
    return render_template("web/exports.html", kinds=kinds, zones=setup.list_zones(event),
                           days=setup.offsets_to_dates(
                               event, list(range((event.end_date - event.start_date).days + 1))))


@bp.get("/exports/<kind>.<fmt>")
@roles_required(STAFF)
def download(kind: str, fmt: str) -> Response | tuple[str, int]:
    user = signed_in_user()
    if kind == "attendees" and (user is None or user.role not in ADMIN):
        return render_template("web/error.html", status=403, title="Forbidden",
                               message="Your role may not open this page."), 403
    args = {k: v for k, v in request.args.items() if v}
    try:
        query = ExportQuery.model_validate(args)
    except ValidationError as exc:
        raise ValidationFailed("bad filter") from exc
    return export_response(setup.current_event(), kind, fmt, query)


@bp.get("/report")
@roles_required(STAFF)
def report_page() -> str:
    from ..services.data.reports.render import render_html
    from .i18n import current_language

    return render_html(setup.current_event(), current_language())
