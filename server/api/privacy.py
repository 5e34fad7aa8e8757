"""Personal data: erase a person, give a person their data, the event's data policies."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from pydantic import BaseModel, Field

from shared.schemas import CleanStr

from ..access import ADMIN
from ..services.data import erasure
from ..services.event import policies, setup
from .auth import Principal
from .registry import endpoint

bp = Blueprint("privacy", __name__)


class EraseIn(BaseModel):
    reason: CleanStr = Field(min_length=3, max_length=500, description="why (request, retention...)")


class Erased(BaseModel):
    attendee_id: int
    badge_id: int | None = Field(description="kept, pseudonymous: the scan log still counts it")
    erased: bool


class EventSettingsIn(BaseModel):
    retention_days: int | None = Field(default=None, ge=0, le=3650,
                                       description="days after the event's end; null: keep")
    checkout_time: CleanStr | None = Field(default=None, pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
                                      description="event-local HH:MM; everyone inside is checked out")


class EventSettingsOut(BaseModel):
    id: int
    name: str
    timezone: str
    retention_days: int | None
    checkout_time: str | None
    erased_at: str | None


def _settings_out(event: Any) -> EventSettingsOut:
    return EventSettingsOut(id=event.id, name=event.name, timezone=event.timezone,
                            retention_days=event.retention_days, checkout_time=event.checkout_time,
                            erased_at=event.erased_at.isoformat() if event.erased_at else None)


@endpoint(bp, "/attendees/<int:attendee_id>/erase", "POST", roles=ADMIN, body=EraseIn,
          response=Erased, summary="Erase a person's personal data everywhere (with a reason)")
def erase(who: Principal, attendee_id: int, body: EraseIn) -> Erased:
    event = setup.current_event()
    badge_id = erasure.erase(event, attendee_id, who.name, body.reason,
                             current_app.config.get("OUTBOX_DIR"))
    return Erased(attendee_id=attendee_id, badge_id=badge_id or None, erased=True)


@endpoint(bp, "/attendees/<int:attendee_id>/export", "GET", roles=ADMIN,
          summary="Subject-access export: everything held about this person, as JSON")
def subject_export(who: Principal, attendee_id: int) -> Any:
    response = jsonify(erasure.subject_export(setup.current_event(), attendee_id))
    response.headers["Content-Disposition"] = f'attachment; filename="attendee-{attendee_id}.json"'
    return response


@endpoint(bp, "/event", "GET", roles=ADMIN, response=EventSettingsOut,
          summary="The event's data policies (retention, automatic check-out)")
def get_settings(who: Principal) -> EventSettingsOut:
    return _settings_out(setup.current_event())


@endpoint(bp, "/event", "PATCH", roles=ADMIN, body=EventSettingsIn, response=EventSettingsOut,
          summary="Set retention days and the automatic check-out time")
def patch_settings(who: Principal, body: EventSettingsIn) -> EventSettingsOut:
    event = setup.current_event()
    fields = body.model_dump(exclude_unset=True)
    return _settings_out(policies.update(event, fields, who.name))
