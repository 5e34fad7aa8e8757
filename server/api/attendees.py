"""Attendees: search, create, edit, delete, CSV import; security's lookup."""

from __future__ import annotations

from flask import Blueprint, request
from pydantic import BaseModel, Field

from shared.schemas import (
    AttendeeIn,
    AttendeeList,
    AttendeeOut,
    AttendeePatch,
    CleanStr,
    ImportReport,
    LookupOut,
    OverrideIn,
)

from .. import presenters
from ..errors import AdmitError, NotFound, ValidationFailed
from ..extensions import db
from ..services import attendees, badges, importer, overrides, scanlog, setup
from ..services.db import write
from .auth import Principal
from .registry import ADMIN, STAFF, endpoint

bp = Blueprint("attendees", __name__)


class SearchQuery(BaseModel):
    q: CleanStr = Field(default="", max_length=200)
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=10_000_000)


class LookupQuery(BaseModel):
    code: CleanStr = Field(min_length=1, max_length=4096, description="a scanned code or badge number")


class Deleted(BaseModel):
    deleted: bool


@endpoint(bp, "/attendees", "GET", roles=STAFF, query=SearchQuery, response=AttendeeList,
          summary="Search by name (any script, accents ignored), organization, email, badge")
def search(who: Principal, query: SearchQuery) -> AttendeeList:
    event = setup.current_event()
    rows, total = attendees.search(event, query.q, query.limit, query.offset)
    return AttendeeList(attendees=[presenters.attendee_out(event, a) for a in rows], total=total)


@endpoint(bp, "/attendees", "POST", roles=ADMIN, body=AttendeeIn, response=AttendeeOut,
          status=201, summary="Create an attendee")
def create(who: Principal, body: AttendeeIn) -> AttendeeOut:
    event = setup.current_event()
    attendee = write(attendees.create, event, body, who.name)
    return presenters.attendee_out(event, attendee)


@endpoint(bp, "/attendees/<int:attendee_id>", "GET", roles=STAFF, response=AttendeeOut,
          summary="One attendee with badge and presence")
def get_one(who: Principal, attendee_id: int) -> AttendeeOut:
    event = setup.current_event()
    return presenters.attendee_out(event, attendees.get(event, attendee_id))


@endpoint(bp, "/attendees/<int:attendee_id>", "PATCH", roles=ADMIN, body=AttendeePatch,
          response=AttendeeOut, summary="Edit; a new access level or days reissues the badge")
def patch(who: Principal, attendee_id: int, body: AttendeePatch) -> AttendeeOut:
    event = setup.current_event()
    attendee = write(lambda: attendees.update(event, attendees.get(event, attendee_id), body, who.name))
    return presenters.attendee_out(event, attendee)


@endpoint(bp, "/attendees/<int:attendee_id>", "DELETE", roles=ADMIN, response=Deleted,
          summary="Delete (the badge is revoked, the scan log kept)")
def delete(who: Principal, attendee_id: int) -> Deleted:
    event = setup.current_event()
    write(lambda: attendees.delete(event, attendees.get(event, attendee_id), who.name))
    return Deleted(deleted=True)


@endpoint(bp, "/attendees/import", "POST", roles=ADMIN, response=ImportReport,
          request_content=("text/csv",),
          summary="Import a CSV (UTF-8); any bad row refuses the whole file with a report")
def import_csv(who: Principal) -> ImportReport:
    event = setup.current_event()
    upload = request.files.get("file")
    data = upload.read() if upload is not None else request.get_data()
    if not data:
        raise AdmitError("send the CSV as the body or as form field 'file'", code="empty_file")
    return write(importer.import_csv, event, data, who.name)


@endpoint(bp, "/attendees/<int:attendee_id>/override", "POST", roles=STAFF, body=OverrideIn,
          response=AttendeeOut, summary="Supervisor override: force admit, or reset presence")
def override(who: Principal, attendee_id: int, body: OverrideIn) -> AttendeeOut:
    event = setup.current_event()

    def run() -> AttendeeOut:
        attendee = attendees.get(event, attendee_id)
        if body.action == "force_admit":
            if not body.gate:
                raise ValidationFailed("force_admit needs the gate")
            overrides.force_admit(event, attendee, body.gate, body.reason, who.name)
        else:
            overrides.reset_presence(event, attendee, body.zone, body.reason, who.name)
        db.session.flush()
        return presenters.attendee_out(event, attendee)

    return write(run)


@endpoint(bp, "/lookup", "GET", roles=STAFF, query=LookupQuery, response=LookupOut,
          summary="Who holds this code or badge number, where are they, what did they scan")
def lookup(who: Principal, query: LookupQuery) -> LookupOut:
    event = setup.current_event()
    badge = badges.by_code_or_number(event, query.code)
    if badge is None:
        raise NotFound("no badge matches this code or number", code="unknown_badge")
    attendee = attendees.get(event, badge.attendee_id)
    rows = scanlog.query(event, attendee=attendee.id, limit=200)
    return LookupOut(attendee=presenters.attendee_out(event, attendee),
                     scans=presenters.scan_log_entries(rows))
