"""The check-in engine's facts: the badge row under lock, the holder and their presence,
the zone's occupancy; and the one write both paths make to presence.

Core statements, not ORM entities: this is the hot path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from shared import (
    MAX_ID,
    BadBadgeNumber,
    BadgeClaims,
    BadgeFacts,
    Direction,
    Reason,
    ZoneFacts,
    days_of,
    parse_badge_number,
    slots_of,
)

from ...extensions import db
from ...models import AccessLevel, Attendee, Badge, Event, Gate, Presence, Scan, Zone, ZoneOccupancy
from ..issuing import keycache
from ..issuing.keycache import KeysVersion

_BADGE = Badge.__table__
_ATTENDEE = Attendee.__table__
_PRESENCE = Presence.__table__
_LEVEL = AccessLevel.__table__
_SCAN = Scan.__table__
_OCCUPANCY = ZoneOccupancy.__table__


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
    keys_version: KeysVersion


def lock_badge(badge_id: int, zone_id: int) -> Locked | None:
    """The badge (locked), its holder and their presence in this zone, as plain rows,
    with the event's key version beside them (see issuing.keycache).

    ``FOR UPDATE`` serialises scans of one badge on PostgreSQL, where presence is read
    by a second statement on purpose: under READ COMMITTED a statement that waited for
    the lock still sees the snapshot from before the wait for every table but the locked
    one. SQLite holds its write lock already (``BEGIN IMMEDIATE``): one statement."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    badge = (_BADGE.c.id, _BADGE.c.revision, _BADGE.c.status, _BADGE.c.event_id,
             _BADGE.c.zone_mask, _BADGE.c.day_mask, _BADGE.c.revoked_at, _BADGE.c.attendee_id,
             *keycache.version_columns(_BADGE.c.event_id))
    holder = (_ATTENDEE.c.name, _ATTENDEE.c.organization, _ATTENDEE.c.country,
              _ATTENDEE.c.deleted_at, _LEVEL.c.name.label("level"), _PRESENCE.c.inside,
              _PRESENCE.c.day, _PRESENCE.c.since)

    def holder_of(query: Select[Any]) -> Select[Any]:
        return (query.join(_LEVEL, _LEVEL.c.id == _ATTENDEE.c.access_level_id)
                .outerjoin(_PRESENCE, (_PRESENCE.c.attendee_id == _ATTENDEE.c.id)
                           & (_PRESENCE.c.zone_id == zone_id)))

    if postgres:
        b = db.session.execute(
            select(*badge).where(_BADGE.c.id == badge_id).with_for_update(of=_BADGE)).first()
        if b is None:
            return None
        a = db.session.execute(holder_of(select(*holder).select_from(_ATTENDEE))
                               .where(_ATTENDEE.c.id == b.attendee_id)).one()
    else:
        b = a = db.session.execute(
            holder_of(select(*badge, *holder).select_from(
                _BADGE.join(_ATTENDEE, _ATTENDEE.c.id == _BADGE.c.attendee_id)))
            .where(_BADGE.c.id == badge_id)).first()
        if b is None:
            return None
    return Locked(
        badge=BadgeState(b.id, b.revision, b.status), event_id=b.event_id,
        zone_mask=b.zone_mask, day_mask=b.day_mask, revoked_at=b.revoked_at,
        holder=Holder(b.attendee_id, a.name, a.organization, a.country, a.level),
        deleted=a.deleted_at is not None, inside=bool(a.inside), presence_day=a.day,
        presence_since=a.since, keys_version=(int(b.keys_live), int(b.keys_top)),
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
    """The zone's rules and, for a zone with a capacity, how many are inside today: one
    counter row kept exact by triggers on presence (migration a7c41e9d2b10).

    An entry locks that row (serialising entries into a zone with a capacity, or two
    could overfill it). On PostgreSQL an upsert that changes nothing does both at once:
    it creates the day's row if none exists yet, locks it and returns its newest value
    even when it waited; SQLite's write lock is held already."""
    occupancy = 0
    if zone.capacity is not None:
        key = {"zone_id": zone.id, "day": day}
        if lock and db.session.get_bind().dialect.name == "postgresql":
            occupancy = db.session.execute(
                pg_insert(_OCCUPANCY).values(**key, inside=0)
                .on_conflict_do_update(index_elements=[_OCCUPANCY.c.zone_id, _OCCUPANCY.c.day],
                                       set_={"inside": _OCCUPANCY.c.inside})
                .returning(_OCCUPANCY.c.inside)).scalar_one()
        else:
            occupancy = db.session.scalar(
                select(_OCCUPANCY.c.inside).where(_OCCUPANCY.c.zone_id == zone.id,
                                                  _OCCUPANCY.c.day == day)) or 0
    return ZoneFacts(allow_reentry=zone.allow_reentry, capacity=zone.capacity, occupancy=occupancy)


def lan_inside(direction: Direction, reason: Reason, otherwise: bool) -> bool:
    """Whether the badge was inside when the LAN leader ordered the scan, read from the
    reason the gate showed (presence is the one fact the leader adds to the decision)."""
    if direction is Direction.OUT:
        return reason is Reason.OK if reason in (Reason.OK, Reason.NOT_INSIDE) else otherwise
    if reason is Reason.ALREADY_INSIDE:
        return True
    return False if reason is Reason.OK else otherwise


def presence_move(locked: Locked, gate: Gate, direction: Direction, day: dt.date,
                  at: dt.datetime) -> dict[str, Any] | None:
    """The presence row a passage leaves behind, or None: an offline scan older than
    what we know must not rewind presence."""
    if locked.presence_since is not None and locked.presence_since > at:
        return None
    return {"attendee_id": locked.holder.id, "zone_id": gate.zone_id,
            "inside": direction is Direction.IN, "day": day, "since": at, "gate_id": gate.id}


def write_scan(row: dict[str, Any], presence: dict[str, Any] | None) -> None:
    """The scan log row and the presence it moves, in one statement on PostgreSQL (the
    upsert as a data-modifying CTE of the insert): one round trip, not two.

    The scan insert's unique ``scan_id`` still fails the whole statement for a repeated
    upload, and then nothing of it was written."""
    log = insert(_SCAN).values(**row)
    if presence is None:
        db.session.execute(log)
        return
    postgres = db.session.get_bind().dialect.name == "postgresql"
    values = {k: presence[k] for k in ("inside", "day", "since", "gate_id")}
    upsert = (pg_insert if postgres else sqlite_insert)(_PRESENCE).values(**presence)
    upsert = upsert.on_conflict_do_update(
        index_elements=[_PRESENCE.c.attendee_id, _PRESENCE.c.zone_id], set_=values)
    if postgres:
        db.session.execute(log.add_cte(upsert.cte("moved")))
    else:
        db.session.execute(log)
        db.session.execute(upsert)
