"""Admin pages: attendees and CSV import, badges, devices, users, event setup, keys."""

from __future__ import annotations

import base64
import json

import segno
from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from shared.schemas import AccessLevelIn, DeviceIn, GateIn, ImportReport, ZoneIn

from ..access import ADMIN, actor, roles_required
from ..services.accounts import devices, login, users
from ..services.entry import scanlog
from ..services.event import setup
from ..services.issuing import badges, keys
from ..services.people import attendees
from ..services.people.importer import ImportRejected, import_csv
from . import forms
from .i18n import gettext

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE = 50


@bp.get("/attendees")
@roles_required(ADMIN)
def attendee_list(report: ImportReport | None = None, rejected: str = "") -> str:
    event = setup.current_event()
    query = forms.parse(forms.ListQuery, {k: v for k, v in request.args.items() if v.strip()})
    q, page = query.q, query.page
    found, total = attendees.search(event, q, limit=PAGE, offset=page * PAGE)
    return render_template("web/admin_attendees.html", q=q, found=found, total=total, page=page,
                           pages=(total + PAGE - 1) // PAGE, report=report, rejected=rejected,
                           missing=len(badges.attendees_without_badge(event)))


@bp.post("/attendees/import")
@roles_required(ADMIN)
def attendee_import() -> str | tuple[str, int]:
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    event = setup.current_event()
    try:
        report = import_csv(event, data, actor=actor())
    except ImportRejected as exc:
        details = exc.details or {"created": 0, "updated": 0, "errors": []}
        report = details if isinstance(details, ImportReport) else ImportReport.model_validate(details)
        return attendee_list(report=report, rejected=exc.message), 422
    return attendee_list(report=report)


@bp.post("/badges/issue-missing")
@roles_required(ADMIN)
def issue_missing() -> Response:
    event = setup.current_event()
    issued = badges.issue_all(event, actor=actor(), reissue=False)
    flash(gettext("Badges issued: %s.", issued), "info")
    return redirect(url_for("admin.attendee_list"))


@bp.get("/devices")
@roles_required(ADMIN)
def device_list(created: tuple[str, str] | None = None) -> str:
    event = setup.current_event()
    return render_template("web/admin_devices.html", devices=devices.list_all(),
                           gates=setup.list_gates(event), created=created,
                           lan=scanlog.lan_counts(event))


@bp.post("/devices")
@roles_required(ADMIN)
def device_create() -> str:
    event = setup.current_event()
    body = forms.parse(DeviceIn, {"name": forms.text(request.form.get("name")) or "gate",
                                  "role": request.form.get("role", "gate"),
                                  "gate": forms.text(request.form.get("gate"))})
    record, token = devices.create(event, body.name, body.role, body.gate, actor=actor())
    # What a gate laptop needs to enrol: where the server is, its token and its gate.
    enrolment = json.dumps({"server": request.host_url.rstrip("/"), "token": token,
                            "gate": record.gate.name if record.gate else None})
    qr = segno.make(enrolment, error="m").svg_data_uri(scale=5, border=2)
    # The same JSON for a phone or tablet: in the fragment, which never reaches a server log.
    link = url_for("scan.page", _external=True) + "#enrol=" + \
        base64.urlsafe_b64encode(enrolment.encode()).decode().rstrip("=")
    return device_list(created=(token, qr, link))


@bp.post("/devices/<int:device_id>/revoke")
@roles_required(ADMIN)
def device_revoke(device_id: int) -> Response:
    devices.revoke(devices.get(device_id), actor=actor())
    flash(gettext("Device revoked."), "info")
    return redirect(url_for("admin.device_list"))


@bp.get("/users")
@roles_required(ADMIN)
def user_list() -> str:
    return render_template("web/admin_users.html", users=login.list_users())


@bp.post("/users")
@roles_required(ADMIN)
def user_save() -> Response:
    users.upsert(request.form.get("email", ""), request.form.get("password", ""),
                 request.form.get("role", ""), actor=actor())
    flash(gettext("Saved."), "info")
    return redirect(url_for("admin.user_list"))


@bp.get("/setup")
@roles_required(ADMIN)
def setup_page() -> str:
    event = setup.current_event()
    return render_template("web/admin_setup.html", event=event, zones=setup.list_zones(event),
                           gates=setup.list_gates(event), levels=setup.list_levels(event),
                           offsets_to_dates=setup.offsets_to_dates)


@bp.post("/setup/zones")
@roles_required(ADMIN)
def zone_create() -> Response:
    event = setup.current_event()
    body = forms.parse(ZoneIn, {"name": request.form.get("name", "").strip(),
                                "capacity": forms.text(request.form.get("capacity")),
                                "allow_reentry": request.form.get("allow_reentry") == "on"})
    setup.create_zone(event, body.name, body.capacity, body.allow_reentry, actor=actor())
    flash(gettext("Saved."), "info")
    return redirect(url_for("admin.setup_page"))


@bp.post("/setup/gates")
@roles_required(ADMIN)
def gate_create() -> Response:
    event = setup.current_event()
    body = forms.parse(GateIn, {"name": request.form.get("name", "").strip(),
                                "zone": request.form.get("zone", ""),
                                "direction": request.form.get("direction", "in")})
    setup.create_gate(event, body.name, body.zone, body.direction, actor=actor())
    flash(gettext("Saved."), "info")
    return redirect(url_for("admin.setup_page"))


@bp.post("/setup/levels")
@roles_required(ADMIN)
def level_create() -> Response:
    event = setup.current_event()
    body = forms.parse(AccessLevelIn, {
        "name": request.form.get("name", "").strip(),
        "colour": request.form.get("colour", "#1f4e79").strip(),
        "zones": request.form.getlist("zones"),
        "days": forms.day_numbers_to_dates(event.start_date, request.form.get("days", "")),
    })
    # The same path as POST /access-levels: days outside the event are refused there.
    setup.create_level(event, body.name, body.colour, body.zones,
                       setup.dates_to_offsets(event, body.days), actor=actor())
    flash(gettext("Saved."), "info")
    return redirect(url_for("admin.setup_page"))


@bp.get("/keys")
@roles_required(ADMIN)
def key_list() -> str:
    every = keys.all_keys(setup.current_event())
    live = [k for k in every if k.retired_at is None]
    # The newest unretired key signs (services.keys); the page says which one.
    return render_template("web/admin_keys.html", keys=every,
                           signing=max(live, key=lambda k: k.key_id) if live else None)


@bp.post("/keys/rotate")
@roles_required(ADMIN)
def key_rotate() -> Response:
    retire = request.form.get("retire_previous") == "on"
    if retire and request.form.get("confirm_retire") != "yes":
        flash(gettext("Retiring older keys needs your confirmation: nothing was changed."), "error")
        return redirect(url_for("admin.key_list"))
    keys.rotate(setup.current_event(), actor=actor(), retire_previous=retire)
    flash(gettext("Key rotated."), "info")
    return redirect(url_for("admin.key_list"))
