"""Who is where now, and the supervisor's presence reset."""

from __future__ import annotations

from sqlalchemy import select

from ...extensions import db
from ...models import Attendee, Event, Gate, Presence, Zone
from ..event import setup


def inside_zone(event: Event, zone: Zone) -> list[tuple[Attendee, Presence, str | None]]:
    day = setup.today(event)
    rows = db.session.execute(
        select(Attendee, Presence, Gate.name)
        .join(Presence, Presence.attendee_id == Attendee.id)
        .outerjoin(Gate, Gate.id == Presence.gate_id)
        .where(Presence.zone_id == zone.id, Presence.inside.is_(True), Presence.day == day)
        .order_by(Presence.since.desc())
    ).all()
    return [(a, p, g) for a, p, g in rows]
