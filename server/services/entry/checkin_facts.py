"""The check-in engine's facts: the badge row under lock, the holder and their presence,
the zone's occupancy; and the one write both paths make to presence.

Core statements, not ORM entities: this is the hot path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from shared import (
    MAX_ID,
    BadBadgeNumber,
    BadgeClaims,
    BadgeFacts,
    Direction,
    ZoneFacts,
    days_of,
    parse_badge_number,
    slots_of,
)

from ...extensions import db
from ...models import AccessLevel, Attendee, Badge, Event, Gate, Presence, Zone
from ..event import setup

_BADGE = Badge.__table__
_ATTENDEE = Attendee.__table__
_PRESENCE = Presence.__table__
_LEVEL = AccessLevel.__table__


@dataclass(frozen=True)
class Holder:
    """The person a scan is about, as the answer shows them."""

    id: int
    name: str
    organization: str
    country: str
    access_level: str


@dataclass(frozen=True)
class BadgeState:
    id: int
    revision: int
    status: str


@dataclass(frozen=True)
class Locked:
    """The badge row (locked), its holder and their presence in the gate's zone."""

    badge: BadgeState
    event_id: int
    zone_mask: int
    day_mask: int
    revoked_at: dt.datetime | None
    holder: Holder
    deleted: bool
    inside: bool
    presence_day: dt.date | None
    presence_since: dt.datetime | None


def lock_badge(badge_id: int, zone_id: int) -> Locked | None:
    """The badge (locked), its holder and their presence in this zone, as plain rows.

    ``FOR UPDATE`` serialises scans of one badge on PostgreSQL (SQLite ignores it; its
    ``BEGIN IMMEDIATE`` already serialises writers). Presence is read by a second
    statement on purpose: under READ COMMITTED a statement that waited for the lock
    still sees the snapshot from before the wait for every table but the locked one."""
    b = db.session.execute(
        select(_BADGE.c.id, _BADGE.c.revision, _BADGE.c.status, _BADGE.c.event_id,
               _BADGE.c.zone_mask, _BADGE.c.day_mask, _BADGE.c.revoked_at, _BADGE.c.attendee_id)
        .where(_BADGE.c.id == badge_id).with_for_update()
    ).first()
    if b is None:
        return None
    a = db.session.execute(
        select(_ATTENDEE.c.name, _ATTENDEE.c.organization, _ATTENDEE.c.country,
               _ATTENDEE.c.deleted_at, _LEVEL.c.name.label("level"), _PRESENCE.c.inside,
               _PRESENCE.c.day, _PRESENCE.c.since)
        .join(_LEVEL, _LEVEL.c.id == _ATTENDEE.c.access_level_id)
        .outerjoin(_PRESENCE, (_PRESENCE.c.attendee_id == _ATTENDEE.c.id)
                   & (_PRESENCE.c.zone_id == zone_id))
        .where(_ATTENDEE.c.id == b.attendee_id)
    ).one()
    return Locked(
        badge=BadgeState(b.id, b.revision, b.status), event_id=b.event_id,
        zone_mask=b.zone_mask, day_mask=b.day_mask, revoked_at=b.revoked_at,
        holder=Holder(b.attendee_id, a.name, a.organization, a.country, a.level),
        deleted=a.deleted_at is not None, inside=bool(a.inside), presence_day=a.day,
        presence_since=a.since,
    )


def typed_number(event: Event, text: str) -> BadgeClaims | None:
    """A badge number typed by staff for a damaged code stands for the badge's current
    revision: staff at the gate vouch for the person (and check photo ID)."""
    try:
        badge_id = parse_badge_number(text)
    except BadBadgeNumber:
        return None
    badge = db.session.get(Badge, badge_id) if badge_id <= MAX_ID else None
    if badge is None or badge.event_id != event.id:
        return None
    return BadgeClaims(
        key_id=badge.key_id, badge_id=badge.id, revision=badge.revision,
        valid_days=days_of(badge.day_mask, event.start_date), zone_slots=slots_of(badge.zone_mask),
    )


def badge_facts(event: Event, claims: BadgeClaims, locked: Locked | None, day: dt.date,
                revoked_as_of: dt.datetime | None) -> BadgeFacts:
    """What the database says about the badge a code claims. ``revoked_as_of`` (offline
    scans) judges a revocation by what was true when the scan happened."""
    if locked is None:
        return BadgeFacts(revoked=True)  # signed by us, but no such badge any more
    revoked = (
        locked.badge.revision != claims.revision
        or locked.badge.status != "active"
        or locked.deleted
    )
    if (revoked_as_of is not None and locked.badge.revision == claims.revision
            and locked.badge.status != "active"):
        revoked = locked.revoked_at is not None and locked.revoked_at <= revoked_as_of
    return BadgeFacts(
        revoked=revoked,
        inside=locked.inside and locked.presence_day == day,
        zone_slots=slots_of(locked.zone_mask),
        valid_days=days_of(locked.day_mask, event.start_date),
    )


def zone_facts(zone: Zone, day: dt.date, lock: bool) -> ZoneFacts:
    occupancy = 0
    if zone.capacity is not None:
        if lock:  # serialise entries into a zone with a capacity, or two could overfill it
            db.session.execute(select(Zone.id).where(Zone.id == zone.id).with_for_update())
        occupancy = setup.zone_occupancy(zone.id, day)
    return ZoneFacts(allow_reentry=zone.allow_reentry, capacity=zone.capacity, occupancy=occupancy)


def move_presence(locked: Locked, gate: Gate, direction: Direction, day: dt.date,
                  at: dt.datetime) -> None:
    if locked.presence_since is not None and locked.presence_since > at:
        return  # an offline scan older than what we know must not rewind presence
    values = {"inside": direction is Direction.IN, "day": day, "since": at, "gate_id": gate.id}
    dialect = db.session.get_bind().dialect.name
    upsert = (pg_insert if dialect == "postgresql" else sqlite_insert)(_PRESENCE).values(
        attendee_id=locked.holder.id, zone_id=gate.zone_id, **values)
    db.session.execute(upsert.on_conflict_do_update(
        index_elements=[_PRESENCE.c.attendee_id, _PRESENCE.c.zone_id], set_=values))
