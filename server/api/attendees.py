"""Attendees: search, create, edit, delete, CSV import; security's lookup."""

from __future__ import annotations

from flask import Blueprint, request

from shared.schemas import (
    AttendeeIn,
    AttendeeList,
    AttendeeOut,
    AttendeePatch,
    ImportReport,
    LookupOut,
    OverrideIn,
)

from .. import presenters
from ..access import ADMIN, STAFF
from ..errors import AdmitError, NotFound
from ..services.accounts import audit_log
from ..services.entry import overrides, scanlog
from ..services.event import setup
from ..services.issuing import badges
from ..services.people import attendees, importer
from .auth import Principal
from .registry import endpoint
from .schemas import Deleted, LookupQuery, SearchQuery

bp = Blueprint("attendees", __name__)


@endpoint(bp, "/attendees", "GET", roles=STAFF, query=SearchQuery, response=AttendeeList,
          summary="Search by name (any script, accents ignored), organization, email, badge")
def search(who: Principal, query: SearchQuery) -> AttendeeList:
    event = setup.current_event()
    rows, total = attendees.search(event, query.q, query.limit, query.offset)
    audit_log.searched(who.name, who.role, query.q, total)
    return AttendeeList(attendees=[presenters.attendee_out(event, a) for a in rows], total=total)


@endpoint(bp, "/attendees", "POST", roles=ADMIN, body=AttendeeIn, response=AttendeeOut,
          status=201, summary="Create an attendee")
def create(who: Principal, body: AttendeeIn) -> AttendeeOut:
    event = setup.current_event()
    attendee = attendees.create(event, body, actor=who.name)
    return presenters.attendee_out(event, attendee)


@endpoint(bp, "/attendees/<int:attendee_id>", "GET", roles=STAFF, response=AttendeeOut,
          summary="One attendee with badge and presence")
def get_one(who: Principal, attendee_id: int) -> AttendeeOut:
    event = setup.current_event()
    person = attendees.get(event, attendee_id)
    audit_log.looked_up(who.name, who.role, person.id, "api")
    return presenters.attendee_out(event, person)


@endpoint(bp, "/attendees/<int:attendee_id>", "PATCH", roles=ADMIN, body=AttendeePatch,
          response=AttendeeOut, summary="Edit; a new access level or days reissues the badge")
def patch(who: Principal, attendee_id: int, body: AttendeePatch) -> AttendeeOut:
    event = setup.current_event()
    attendee = attendees.update(event, attendees.get(event, attendee_id), body, actor=who.name)
    return presenters.attendee_out(event, attendee)


@endpoint(bp, "/attendees/<int:attendee_id>", "DELETE", roles=ADMIN, response=Deleted,
          summary="Delete (the badge is revoked, the scan log kept)")
def delete(who: Principal, attendee_id: int) -> Deleted:
    event = setup.current_event()
    attendees.delete(event, attendees.get(event, attendee_id), actor=who.name)
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
    return importer.import_csv(event, data, actor=who.name)


@endpoint(bp, "/attendees/<int:attendee_id>/override", "POST", roles=STAFF, body=OverrideIn,
          response=AttendeeOut, summary="Supervisor override: force admit, or reset presence")
def override(who: Principal, attendee_id: int, body: OverrideIn) -> AttendeeOut:
    event = setup.current_event()
    attendee = attendees.get(event, attendee_id)
    overrides.apply(event, attendee, body.action, body.reason, actor=who.name, gate=body.gate,
                    zone=body.zone)
    return presenters.attendee_out(event, attendee)


@endpoint(bp, "/lookup", "GET", roles=STAFF, query=LookupQuery, response=LookupOut,
          summary="Who holds this code or badge number, where are they, what did they scan")
def lookup(who: Principal, query: LookupQuery) -> LookupOut:
    event = setup.current_event()
    badge = badges.by_code_or_number(event, query.code)
    if badge is None:
        raise NotFound("no badge matches this code or number", code="unknown_badge")
    attendee = attendees.get(event, badge.attendee_id)
    audit_log.looked_up(who.name, who.role, attendee.id, "badge lookup")
    rows = scanlog.query(event, attendee=attendee.id, limit=200)
    return LookupOut(attendee=presenters.attendee_out(event, attendee),
                     scans=presenters.scan_log_entries(rows))
