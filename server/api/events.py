"""Events and edits of their setup: ``/events``, ``PATCH /zones|gates|access-levels/{id}``."""

from __future__ import annotations

from flask import Blueprint

from shared.schemas import GateOut, ZoneOut

from .. import presenters
from ..access import ADMIN, STAFF
from ..models import AccessLevel, Event, Gate, Zone
from ..services.event import events, setup, setup_edit
from .auth import Principal
from .registry import endpoint
from .schemas import (
    EventFull,
    EventIn,
    EventList,
    EventPatch,
    GatePatch,
    LevelChanged,
    LevelPatch,
    ZonePatch,
)

bp = Blueprint("events", __name__)


def event_full(event: Event, reissued: list[int] | None = None) -> EventFull:
    return EventFull(id=event.id, name=event.name, venue=event.venue, timezone=event.timezone,
                     start_date=event.start_date, end_date=event.end_date,
                     languages=list(event.languages or ["en"]),
                     practical_info=event.practical_info, is_default=event.is_default,
                     reissued_badges=reissued or [])


def _fields(body: EventIn | EventPatch) -> events.EventFields:
    data = body.model_dump(exclude={"confirm"})
    return events.EventFields(**data)


@endpoint(bp, "/events", "GET", roles=STAFF, response=EventList, summary="Events on this server")
def get_events(who: Principal) -> EventList:
    default = events.default()
    return EventList(events=[event_full(e) for e in events.list_all()], default_event=default.id)


@endpoint(bp, "/events", "POST", roles=ADMIN, body=EventIn, response=EventFull, status=201,
          summary="Create an event (with its own signing key)")
def post_event(who: Principal, body: EventIn) -> EventFull:
    return event_full(events.create(_fields(body), who.name))


@endpoint(bp, "/events/<int:event_id>", "GET", roles=STAFF, response=EventFull,
          summary="One event")
def get_event(who: Principal, event_id: int) -> EventFull:
    return event_full(events.get(event_id))


@endpoint(bp, "/events/<int:event_id>", "PATCH", roles=ADMIN, body=EventPatch,
          response=EventFull, summary="Edit an event; new dates or time zone after badges "
          "exist need confirm=true (else 409 with the count) and reissue the affected badges")
def patch_event(who: Principal, event_id: int, body: EventPatch) -> EventFull:
    def run() -> EventFull:
        event = events.get(event_id)
        outcome = setup_edit.update_event(event, _fields(body), body.confirm, who.name)
        return event_full(event, outcome.reissued)

    return run()


@endpoint(bp, "/zones/<int:zone_id>", "PATCH", roles=ADMIN, body=ZonePatch, response=ZoneOut,
          summary="Rename, change or deactivate a zone")
def patch_zone(who: Principal, zone_id: int, body: ZonePatch) -> ZoneOut:
    def run() -> ZoneOut:
        event = setup_edit.event_of(Zone, zone_id)
        zone = setup_edit.update_zone(
            event, zone_id, body.name, body.capacity,
            "capacity" in body.model_fields_set and body.capacity is None,
            body.allow_reentry, body.active, who.name)
        return presenters.zone_out(zone, setup.occupancy(event))

    return run()


@endpoint(bp, "/gates/<int:gate_id>", "PATCH", roles=ADMIN, body=GatePatch, response=GateOut,
          summary="Rename, move or deactivate a gate (old names still resolve)")
def patch_gate(who: Principal, gate_id: int, body: GatePatch) -> GateOut:
    def run() -> GateOut:
        event = setup_edit.event_of(Gate, gate_id)
        gate = setup_edit.update_gate(event, gate_id, body.name, body.zone, body.direction,
                                      body.active, who.name)
        return presenters.gate_out(gate)

    return run()


@endpoint(bp, "/access-levels/<int:level_id>", "PATCH", roles=ADMIN, body=LevelPatch,
          response=LevelChanged, summary="Edit an access level; new zones or days need "
          "confirm=true once badges exist (else 409 with the count) and reissue those badges")
def patch_level(who: Principal, level_id: int, body: LevelPatch) -> LevelChanged:
    def run() -> LevelChanged:
        event = setup_edit.event_of(AccessLevel, level_id)
        level, outcome = setup_edit.update_level(
            event, level_id, body.name, body.colour, body.zones, body.days, body.active,
            body.confirm, who.name)
        out = presenters.level_out(event, level)
        return LevelChanged(**out.model_dump(), reissued_badges=outcome.reissued)

    return run()
