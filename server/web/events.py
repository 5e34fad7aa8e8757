"""Dashboard pages for running one's own events: the event switcher, creating and editing
events, renaming and deactivating zones, gates and levels, and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from shared import REASON_TEXT, Direction

from ..access import ADMIN, STAFF, actor, roles_required, signed_in_user
from ..errors import AdmitError, ValidationFailed
from ..models import AccessLevel, Gate, Zone
from ..services.accounts import audit_log
from ..services.event import events, setup, setup_edit
from .i18n import gettext

bp = Blueprint("event_pages", __name__, url_prefix="/dashboard")


@bp.app_context_processor
def _reason_words() -> dict[str, Any]:
    # Reasons in plain words in the chosen language, never codes like not_a_badge.
    return {"reason_words_translated": {r.value: gettext(t) for r, t in REASON_TEXT.items()},
            "alert_kind_words": {k: gettext(t) for k, t in ALERT_KINDS.items()}}


ALERT_KINDS = {
    "double_admit": "Admitted twice while offline",
    "admitted_after_revocation": "Admitted after the badge was revoked",
    "offline_disagrees": "Admitted offline; the server would have denied",
}


@bp.app_context_processor
def _switcher() -> dict[str, Any]:
    # The header's event switcher: every signed-in page shows which event it acts on.
    if request.blueprint is None or request.path.startswith(("/api/", "/static/")):
        return {}
    if signed_in_user() is None:
        return {}
    try:
        return {"all_events": events.list_all(), "this_event": setup.current_event()}
    except AdmitError:
        return {}


def _date(name: str, required: bool = True) -> dt.date | None:
    raw = request.form.get(name, "").strip()
    if not raw and not required:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationFailed(gettext("Dates are written YYYY-MM-DD."),
                               details=[{"field": name, "message": raw}]) from exc


def _fields() -> events.EventFields:
    langs = [x for x in request.form.getlist("languages") if x in events.LANGUAGES]
    return events.EventFields(
        name=request.form.get("name", "").strip() or None,
        venue=request.form.get("venue", "").strip(),
        timezone=request.form.get("timezone", "").strip() or None,
        start_date=_date("start_date"), end_date=_date("end_date"),
        languages=langs or None,
        is_default=request.form.get("is_default") == "on" or None)


@bp.post("/event")
@roles_required(STAFF)
def switch() -> Response:
    chosen = events.get(int(request.form.get("event", "0") or 0))
    session[events.SESSION_KEY] = chosen.id
    back = request.form.get("next", "")
    return redirect(back if back.startswith("/dashboard") else url_for("ops.overview"))


@bp.get("/events")
@roles_required(ADMIN)
def event_list() -> str:
    return render_template("web/events.html", events=events.list_all(),
                           event_languages=events.LANGUAGES, default_id=events.default().id)


@bp.post("/events")
@roles_required(ADMIN)
def event_create() -> Response:
    created = events.create(_fields(), actor())
    session[events.SESSION_KEY] = created.id
    flash(gettext("Event created. It is now the event you are working on."), "info")
    return redirect(url_for("admin.setup_page"))


@bp.get("/events/<int:event_id>")
@roles_required(ADMIN)
def event_edit(event_id: int) -> str:
    return render_template("web/event_edit.html", event=events.get(event_id),
                           event_languages=events.LANGUAGES, pending=None)


@bp.post("/events/<int:event_id>")
@roles_required(ADMIN)
def event_save(event_id: int) -> Response | tuple[str, int]:
    confirm = request.form.get("confirm") == "yes"
    fields = _fields()
    try:
        outcome = setup_edit.update_event(events.get(event_id), fields, confirm, actor())
    except AdmitError as exc:
        if exc.code != "confirmation_required":
            raise
        # Ask again with the number of badges it would reissue; nothing was changed.
        return render_template("web/event_edit.html", event=events.get(event_id),
                               event_languages=events.LANGUAGES, pending=exc.details,
                               form=request.form), 409
    flash(gettext("Saved. %s badge(s) reissued.", len(outcome.reissued)), "info")
    return redirect(url_for("event_pages.event_edit", event_id=event_id))


@bp.get("/setup/edit")
@roles_required(ADMIN)
def setup_edit_page() -> str:
    event = setup.current_event()
    return render_template("web/setup_edit.html", event=event, zones=setup.list_zones(event),
                           gates=setup.list_gates(event), levels=setup.list_levels(event),
                           offsets_to_dates=setup.offsets_to_dates, pending=None)


def _active() -> bool | None:
    value = request.form.get("active")
    return None if value is None else value == "yes"


@bp.post("/setup/zones/<int:zone_id>")
@roles_required(ADMIN)
def zone_save(zone_id: int) -> Response:
    event = setup_edit.event_of(Zone, zone_id)
    setup_edit.update_zone(event, zone_id, request.form.get("name", "").strip() or None,
          None, False, None, _active(), actor())
    flash(gettext("Saved."), "info")
    return redirect(url_for("event_pages.setup_edit_page"))


@bp.post("/setup/gates/<int:gate_id>")
@roles_required(ADMIN)
def gate_save(gate_id: int) -> Response:
    event = setup_edit.event_of(Gate, gate_id)
    direction = request.form.get("direction")
    setup_edit.update_gate(event, gate_id, request.form.get("name", "").strip() or None,
          request.form.get("zone") or None, Direction(direction) if direction in ("in", "out") else None,
          _active(), actor())
    flash(gettext("Saved."), "info")
    return redirect(url_for("event_pages.setup_edit_page"))


@bp.post("/setup/levels/<int:level_id>")
@roles_required(ADMIN)
def level_save(level_id: int) -> Response | tuple[str, int]:
    event = setup_edit.event_of(AccessLevel, level_id)
    zones = request.form.getlist("zones") if request.form.get("edit_zones") == "yes" else None
    try:
        _, outcome = setup_edit.update_level(event, level_id,
                           request.form.get("name", "").strip() or None, None, zones, None,
                           _active(), request.form.get("confirm") == "yes", actor())
    except AdmitError as exc:
        if exc.code != "confirmation_required":
            raise
        return render_template("web/setup_edit.html", event=event, zones=setup.list_zones(event),
                               gates=setup.list_gates(event), levels=setup.list_levels(event),
                               offsets_to_dates=setup.offsets_to_dates, pending=exc.details,
                               pending_level=level_id, form=request.form), 409
    flash(gettext("Saved. %s badge(s) reissued.", len(outcome.reissued)), "info")
    return redirect(url_for("event_pages.setup_edit_page"))


@bp.get("/audit")
@roles_required(ADMIN)
def audit_page() -> str:
    args = request.args
    attendee = args.get("attendee", "").strip()
    since = args.get("since", "").strip()
    until = args.get("until", "").strip()
    try:
        f = audit_log.AuditFilter(
            actor=args.get("actor", "").strip() or None,
            action=args.get("action", "").strip() or None,
            attendee_id=int(attendee) if attendee.isascii() and attendee.isdigit() and len(attendee) < 10 else None,
            since=dt.datetime.fromisoformat(since).replace(tzinfo=dt.UTC) if since else None,
            until=dt.datetime.fromisoformat(until).replace(tzinfo=dt.UTC) if until else None)
    except ValueError as exc:
        raise ValidationFailed(gettext("Dates are written YYYY-MM-DD.")) from exc
    return render_template("web/audit.html", rows=audit_log.query(f), args=args)
