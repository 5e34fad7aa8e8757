"""The registration desk: register a walk-in and, in the same step, print and/or email
the badge; edit an attendee (access changes reissue the badge)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from pydantic import ValidationError
from werkzeug.wrappers import Response

from shared.schemas import AttendeeIn, AttendeePatch

from ..access import ADMIN, actor, roles_required
from ..errors import ValidationFailed
from ..services.event import setup
from ..services.people import attendees, desk
from .i18n import gettext

bp = Blueprint("desk", __name__, url_prefix="/dashboard")
_FIELDS = ("name", "email", "organization", "country", "language", "access_level")

def _form_fields() -> dict[str, str]:
    return {k: request.form.get(k, "").strip() for k in _FIELDS if request.form.get(k, "").strip()}

def _invalid(exc: ValidationError) -> ValidationFailed:
    return ValidationFailed(gettext("Check the highlighted fields."),
                            details=[{"field": ".".join(map(str, e["loc"])), "message": e["msg"]}
                                     for e in exc.errors(include_url=False)])

@bp.get("/walk-in")
@roles_required(ADMIN)
def walk_in_form() -> str:
    event = setup.current_event()
    return render_template("web/walk_in.html", levels=[lv for lv in setup.list_levels(event) if lv.active])

@bp.post("/walk-in")
@roles_required(ADMIN)
def walk_in() -> Response:
    event = setup.current_event()
    try:
        data = AttendeeIn.model_validate(_form_fields())
    except ValidationError as exc:
        raise _invalid(exc) from exc

    person = desk.register_walk_in(event, data, actor())
    if request.form.get("email_badge") == "on":
        from ..services.mail import delivery

        delivery.send_now(event, person.id, actor())
        flash(gettext("Badge emailed."), "info")
    flash(gettext("Registered. Badge issued."), "info")
    printing = request.form.get("print_badge") == "on"
    return redirect(url_for("ops.attendee", attendee_id=person.id, print=1 if printing else None))

@bp.post("/attendees/<int:attendee_id>/edit")
@roles_required(ADMIN)
def edit(attendee_id: int) -> Response:
    event = setup.current_event()
    fields: dict[str, object] = dict(_form_fields())
    days = request.form.get("days", "").strip()
    if days:
        fields["days"] = [d.strip() for d in days.split(",") if d.strip()]
    try:
        patch = AttendeePatch.model_validate(fields)
    except ValidationError as exc:
        raise _invalid(exc) from exc
    person = attendees.update(event, attendees.get(event, attendee_id), patch, actor=actor())
    flash(gettext("Saved."), "info")
    return redirect(url_for("ops.attendee", attendee_id=person.id))
