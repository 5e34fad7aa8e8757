"""The event and its setup: zones, gates, access levels, and the event's own clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import g, has_app_context
from sqlalchemy import and_, func, select

from shared import Direction, event_day
from shared.masks import MAX_DAYS, MAX_ZONE_SLOTS

from ...errors import Conflict, NotFound, ValidationFailed
from ...extensions import db
from ...models import AccessLevel, Event, Gate, Presence, Zone, utcnow
from ..accounts import audit
from ..db import transactional
from ..people.text import whole_number


def current_event() -> Event:
    """The event this request acts on (see services.events); once per request."""
    from . import events

    if has_app_context() and "admit_event" in g:
        return g.admit_event  # type: ignore[no-any-return]
    found = events.for_request()
    if has_app_context():
        g.admit_event = found
    return found


def event_tz(event: Event) -> ZoneInfo:
    return ZoneInfo(event.timezone)


def today(event: Event, now: dt.datetime | None = None) -> dt.date:
    return event_day(now or utcnow(), event_tz(event))


def offsets_to_dates(event: Event, offsets: list[int]) -> list[dt.date]:
    return [event.start_date + dt.timedelta(days=o) for o in sorted(offsets)]


def dates_to_offsets(event: Event, days: list[dt.date]) -> list[int]:
    offsets = sorted({(d - event.start_date).days for d in days})
    last = (event.end_date - event.start_date).days
    bad = [event.start_date + dt.timedelta(days=o) for o in offsets if not 0 <= o <= last]
    if bad or last >= MAX_DAYS:
        raise ValidationFailed(
            f"days must fall within the event ({event.start_date} to {event.end_date})",
            details={"invalid": [d.isoformat() for d in bad]},
        )
    return offsets


def zone_by_name(event: Event, name: str) -> Zone:
    zone = db.session.scalars(
        select(Zone).where(Zone.event_id == event.id, Zone.name == name)
    ).first()
    if zone is None:
        raise NotFound(f"no zone named {name!r}")
    return zone


def resolve_gate(event: Event, ref: str) -> Gate:
    """A gate by id or by name: scanners are configured with whichever staff typed."""
    query = select(Gate).where(Gate.event_id == event.id)
    gate = None
    gate_id = whole_number(ref)
    if gate_id is not None:
        gate = db.session.scalars(query.where(Gate.id == gate_id)).first()
    if gate is None:
        gate = db.session.scalars(query.where(Gate.name == ref)).first()
    if gate is None:
        from .setup_edit import resolve_renamed_gate

        gate = resolve_renamed_gate(event, ref)
    if gate is None:
        raise NotFound(f"no gate {ref!r}", code="unknown_gate")
    return gate


def level_by_name(event: Event, name: str) -> AccessLevel:
    level = db.session.scalars(
        select(AccessLevel).where(AccessLevel.event_id == event.id, AccessLevel.name == name)
    ).first()
    if level is None:
        raise NotFound(f"no access level named {name!r}", code="unknown_access_level")
    return level


def occupancy(event: Event, now: dt.datetime | None = None) -> dict[int, int]:
    """People inside per zone id; presence from an earlier event day does not count."""
    day = today(event, now)
    rows = db.session.execute(
        select(Presence.zone_id, func.count())
        .join(Zone, Zone.id == Presence.zone_id)
        .where(and_(Zone.event_id == event.id, Presence.inside.is_(True), Presence.day == day))
        .group_by(Presence.zone_id)
    ).all()
    return {zone_id: count for zone_id, count in rows}


def zone_occupancy(zone_id: int, day: dt.date) -> int:
    """People inside one zone on one event day: the capacity check counts only this."""
    return int(db.session.scalar(
        select(func.count()).select_from(Presence)
        .where(Presence.zone_id == zone_id, Presence.inside.is_(True), Presence.day == day)
    ) or 0)


def list_zones(event: Event) -> list[Zone]:
    return list(db.session.scalars(select(Zone).where(Zone.event_id == event.id).order_by(Zone.slot)))


def list_gates(event: Event) -> list[Gate]:
    return list(db.session.scalars(select(Gate).where(Gate.event_id == event.id).order_by(Gate.id)))


def list_levels(event: Event) -> list[AccessLevel]:
    return list(
        db.session.scalars(
            select(AccessLevel).where(AccessLevel.event_id == event.id).order_by(AccessLevel.id)
        ).unique()
    )


@transactional
def create_zone(
    event: Event, name: str, capacity: int | None = None, allow_reentry: bool = False,
    *, actor: str,
) -> Zone:
    used = set(db.session.scalars(select(Zone.slot).where(Zone.event_id == event.id)))
    if db.session.scalars(select(Zone).where(Zone.event_id == event.id, Zone.name == name)).first():
        raise Conflict(f"zone {name!r} exists already")
    free = [s for s in range(MAX_ZONE_SLOTS) if s not in used]
    if not free:
        raise Conflict(f"an event has at most {MAX_ZONE_SLOTS} zones")
    audit.record(actor, "zone.create", name)
    zone = Zone(
        event_id=event.id, name=name, slot=free[0], capacity=capacity, allow_reentry=allow_reentry
    )
    db.session.add(zone)
    db.session.flush()
    return zone


@transactional
def create_gate(
    event: Event, name: str, zone_name: str, direction: Direction, *, actor: str
) -> Gate:
    zone = zone_by_name(event, zone_name)
    if db.session.scalars(select(Gate).where(Gate.event_id == event.id, Gate.name == name)).first():
        raise Conflict(f"gate {name!r} exists already")
    audit.record(actor, "gate.create", name, zone=zone_name)
    gate = Gate(event_id=event.id, name=name, zone_id=zone.id, direction=direction.value)
    db.session.add(gate)
    db.session.flush()
    return gate


@transactional
def create_level(
    event: Event, name: str, colour: str, zone_names: list[str], day_offsets: list[int],
    *, actor: str,
) -> AccessLevel:
    if db.session.scalars(
        select(AccessLevel).where(AccessLevel.event_id == event.id, AccessLevel.name == name)
    ).first():
        raise Conflict(f"access level {name!r} exists already")
    level = AccessLevel(
        event_id=event.id,
        name=name,
        colour=colour,
        day_offsets=sorted(day_offsets),
        zones=[zone_by_name(event, z) for z in zone_names],
    )
    db.session.add(level)
    db.session.flush()
    audit.record(actor, "level.create", f"level:{level.id}", zones=zone_names)
    return level
