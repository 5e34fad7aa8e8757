"""Pages for security and admin: live overview, search, attendee, zones, alerts."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from shared.schemas import OverrideIn

from .. import presenters
from ..access import STAFF, actor, roles_required, signed_in_user
from ..errors import NotFound
from ..models import User
from ..services.accounts import audit_log
from ..services.entry import alerts, presence, scanlog
from ..services.event import setup, stats
from ..services.issuing import badges
from ..services.people import attendees
from . import forms
from .i18n import gettext

bp = Blueprint("ops", __name__, url_prefix="/dashboard")
HISTORY_LIMIT = 1000


def current_user() -> User:
    user = signed_in_user()
    assert user is not None  # roles_required let the request in
    return user


@bp.get("/")
@roles_required(STAFF)
def overview() -> str:
    return render_template("web/overview.html", data=stats.overview(setup.current_event()))


@bp.get("/overview.json")
@roles_required(STAFF)
def overview_json() -> Response:
    response = jsonify(stats.overview(setup.current_event()))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/search")
@roles_required(STAFF)
def search() -> str:
    q = forms.parse(forms.ListQuery, {"q": request.args.get("q", "").strip()}).q
    found, total = attendees.search(setup.current_event(), q, limit=50) if q else ([], 0)
    if q:
        user = current_user()
        audit_log.searched(user.email, user.role, q, total)
    return render_template("web/search.html", q=q, found=found, total=total)


@bp.get("/attendees/<int:attendee_id>")
@roles_required(STAFF)
def attendee(attendee_id: int) -> str:
    event = setup.current_event()
    person = attendees.get(event, attendee_id)
    history = presenters.scan_log_entries(
        scanlog.query(event, attendee=attendee_id, limit=HISTORY_LIMIT))
    entrances = [g for g in setup.list_gates(event) if g.direction == "in"]
    user = current_user()
    audit_log.looked_up(user.email, user.role, person.id, "dashboard")
    record = audit_log.query(audit_log.AuditFilter(attendee_id=person.id, limit=100))
    return render_template("web/attendee.html", a=presenters.attendee_out(event, person),
                           history=history, entrances=entrances, record=record,
                           levels=[lv for lv in setup.list_levels(event) if lv.active])


@bp.post("/attendees/<int:attendee_id>/revoke")
@roles_required(STAFF)
def revoke(attendee_id: int) -> Response:
    event = setup.current_event()
    reason = forms.parse(forms.NoteForm, request.form.to_dict()).reason.strip()
    if not reason or request.form.get("confirm") != "yes":
        flash(gettext("Give a reason and confirm to revoke the badge."), "error")
        return redirect(url_for("ops.attendee", attendee_id=attendee_id))
    person = attendees.get(event, attendee_id)
    if person.badge is None:
        raise NotFound("this attendee has no badge")
    badges.revoke(event, person.badge, actor=actor(), reason=reason)
    flash(gettext("Badge revoked."), "info")
    return redirect(url_for("ops.attendee", attendee_id=attendee_id))


@bp.post("/attendees/<int:attendee_id>/reissue")
@roles_required(STAFF)
def reissue(attendee_id: int) -> Response:
    event = setup.current_event()
    badges.issue(event, [attendees.get(event, attendee_id)], actor=actor(), reissue=True)
    flash(gettext("Badge issued."), "info")
    return redirect(url_for("ops.attendee", attendee_id=attendee_id))


@bp.post("/attendees/<int:attendee_id>/send-badge")
@roles_required(STAFF)
def send_badge(attendee_id: int) -> Response:
    from ..services.mail import delivery

    person = delivery.send_now(setup.current_event(), attendee_id, actor=actor())
    message = gettext("Badge email sent.") if person.mail_state == "sent" else \
        gettext("Badge email not sent:") + f" {person.mail_state} {person.mail_error or ''}"
    flash(message, "info" if person.mail_state == "sent" else "error")
    return redirect(url_for("ops.attendee", attendee_id=attendee_id))


@bp.post("/attendees/<int:attendee_id>/override")
@roles_required(STAFF)
def override(attendee_id: int) -> Response:
    from ..services.entry import overrides

    event = setup.current_event()
    # The API's schema: reason length and clean text, whichever button was pressed.
    body = forms.parse(OverrideIn, {
        "action": "force_admit" if request.form.get("action") == "force_admit" else "reset_presence",
        "reason": request.form.get("reason", ""), "gate": forms.text(request.form.get("gate"))})
    overrides.apply(event, attendees.get(event, attendee_id), body.action, body.reason,
                    actor=actor(), gate=body.gate)
    flash(gettext("Override recorded."), "info")
    return redirect(url_for("ops.attendee", attendee_id=attendee_id))


@bp.get("/zones")
@roles_required(STAFF)
def zones() -> str:
    return render_template("web/zones.html", zones=stats.occupancy(setup.current_event()))


@bp.get("/zones/<int:zone_id>")
@roles_required(STAFF)
def zone(zone_id: int) -> str:
    event = setup.current_event()
    found = next((z for z in setup.list_zones(event) if z.id == zone_id), None)
    if found is None:
        raise NotFound(f"no zone {zone_id}")
    return render_template("web/zone.html", zone=found, people=presence.inside_zone(event, found))


@bp.get("/alerts")
@roles_required(STAFF)
def alert_list() -> str:
    every = alerts.list_alerts(setup.current_event(), include_acknowledged=True)
    return render_template("web/alerts.html", names=alerts.holder_names(every),
                           open_alerts=[a for a in every if a.acknowledged_at is None],
                           done=[a for a in every if a.acknowledged_at is not None][:100])


@bp.post("/alerts/<int:alert_id>/ack")
@roles_required(STAFF)
def acknowledge(alert_id: int) -> Response:
    note = forms.parse(forms.NoteForm, {"reason": request.form.get("note", "")}).reason
    alerts.acknowledge(setup.current_event(), alert_id, actor=actor(), note=note)
    flash(gettext("Alert acknowledged."), "info")
    return redirect(url_for("ops.alert_list"))
