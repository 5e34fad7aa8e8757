"""The check-in engine's facts: the badge row under lock, the holder and their presence,
the zone's occupancy; and the one write both paths make to presence.

Core statements, not ORM entities: this is the hot path.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, insert, select
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
from ..db import sqlite_writer
from ..issuing import keycache
from ..issuing.keycache import KeysVersion
from . import hotsql, hotsqlite
from .hotsql import PRESENCE_COLUMNS, SCAN_COLUMNS

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
    occupancy: int | None = None  # the zone's count on the day, when lock_badge read it


def _sqlite_facts() -> Select[Any]:
    """The badge, its holder and their presence in one zone, with the keys' version
    (SQLite: its writer lock is already held, so one plain statement is enough)."""
    return (
        select(_BADGE.c.id.label("f_id"), _BADGE.c.revision.label("f_revision"),
               _BADGE.c.status.label("f_status"), _BADGE.c.event_id.label("f_event_id"),
               _BADGE.c.zone_mask.label("f_zone_mask"), _BADGE.c.day_mask.label("f_day_mask"),
               _BADGE.c.revoked_at.label("f_revoked_at"),
               _BADGE.c.attendee_id.label("f_attendee_id"),
               *(c.label(f"f_{c.name}") for c in keycache.version_columns(_BADGE.c.event_id)),
               _ATTENDEE.c.name.label("f_name"), _ATTENDEE.c.organization.label("f_organization"),
               _ATTENDEE.c.country.label("f_country"), _ATTENDEE.c.deleted_at.label("f_deleted_at"),
               _LEVEL.c.name.label("f_level"), _PRESENCE.c.inside.label("f_inside"),
               _PRESENCE.c.day.label("f_day"), _PRESENCE.c.since.label("f_since"))
        .select_from(_BADGE.join(_ATTENDEE, _ATTENDEE.c.id == _BADGE.c.attendee_id)
                     .join(_LEVEL, _LEVEL.c.id == _ATTENDEE.c.access_level_id)
                     .outerjoin(_PRESENCE, (_PRESENCE.c.attendee_id == _ATTENDEE.c.id)
                                & (_PRESENCE.c.zone_id == bindparam("zone"))))
        .where(_BADGE.c.id == bindparam("badge"))
    )


# Built once: the statements of every scan. A statement object built per call costs more
# CPU in SQLAlchemy's construction and cache-key code than its round trip (bench/scan_cost.py).
_SQLITE_FACTS = _sqlite_facts()
_OCCUPANCY_READ = select(_OCCUPANCY.c.inside).where(
    _OCCUPANCY.c.zone_id == bindparam("zone"), _OCCUPANCY.c.day == bindparam("day"))
NO_COUNT, READ_COUNT, LOCK_COUNT = 0, 1, 2  # what lock_badge does with the zone's counter


def _postgres() -> bool:
    return hotsql.on_postgres()


def _sqlite_one(statement: Any, params: dict[str, Any]) -> tuple[Any, ...] | None:
    """A SQLite read's first row: in the scan lane on the driver itself (hotsqlite),
    otherwise in the session's transaction."""
    lane = hotsql.sqlite_lane()
    if lane is not None:
        return hotsqlite.run(lane, statement, params)
    row = db.session.connection().execute(statement, params).first()
    return tuple(row) if row is not None else None


def lock_badge(badge_id: int, zone_id: int, day: dt.date, count: int = NO_COUNT) -> Locked | None:
    """The badge (locked), its holder and their presence in this zone, as plain rows,
    with the event's key version beside them (see issuing.keycache), and, when ``count``
    asks, the zone's occupancy on ``day`` (``LOCK_COUNT`` also locks the counter row:
    an entry into a zone with a capacity).

    PostgreSQL: one call of admit_scan_facts(), which locks, then reads after the wait
    (a statement that waited for a row lock would see every other table as of before
    the wait). SQLite holds its write lock already (``BEGIN IMMEDIATE``): one statement."""
    if _postgres():
        row = hotsql.facts(badge_id, zone_id, day, count)
        if row is None:
            return None
        (b_id, revision, status, event_id, zone_mask, day_mask, revoked_at, attendee_id,
         keys_live, keys_top, name, organization, country, deleted_at, level, inside,
         presence_day, since, occupancy) = row
        revoked_at, since = hotsql.utc(revoked_at), hotsql.utc(since)
    else:
        params = {"badge": badge_id, "zone": zone_id, "day": day}
        found = _sqlite_one(_SQLITE_FACTS, params)
        if found is None:
            return None
        (b_id, revision, status, event_id, zone_mask, day_mask, revoked_at, attendee_id,
         keys_live, keys_top, name, organization, country, deleted_at, level, inside,
         presence_day, since) = found
        hotsql.remember_read(inside, presence_day, since)  # the lane's write compares
        occupancy = (((_sqlite_one(_OCCUPANCY_READ, params) or (0,))[0] or 0)
                     if count != NO_COUNT else None)
    return Locked(
        badge=BadgeState(b_id, revision, status), event_id=event_id, zone_mask=zone_mask,
        day_mask=day_mask, revoked_at=revoked_at,
        holder=Holder(attendee_id, name, organization, country, level),
        deleted=deleted_at is not None, inside=bool(inside), presence_day=presence_day,
        presence_since=since, keys_version=(int(keys_live), int(keys_top)),
        occupancy=int(occupancy) if count != NO_COUNT and occupancy is not None else None,
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


def count_mode(zone: Zone, direction: Direction) -> int:
    """What a scan needs of its zone's counter: none without a capacity; an entry locks it
    (two entries must not both take the last place); an exit only reads it."""
    if zone.capacity is None:
        return NO_COUNT
    return LOCK_COUNT if direction is Direction.IN else READ_COUNT


def zone_facts(zone: Zone, locked: Locked | None) -> ZoneFacts:
    """The zone's rules and, for a zone with a capacity, how many are inside today: one
    counter row kept exact by triggers on presence (migration a7c41e9d2b10), read (and
    for an entry locked) by ``lock_badge``. Without a badge row there is nothing to
    admit (``revoked`` or the token's own reason outranks ``zone_full``), so no count."""
    occupancy = locked.occupancy if locked is not None and locked.occupancy is not None else 0
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


def _presence_upsert(dialect_insert: Any) -> Any:
    values: dict[str, Any] = {c: bindparam(f"p_{c}") for c in PRESENCE_COLUMNS}
    return dialect_insert(_PRESENCE).values(values).on_conflict_do_update(
        index_elements=[_PRESENCE.c.attendee_id, _PRESENCE.c.zone_id],
        set_={c: bindparam(f"p_{c}") for c in ("inside", "day", "since", "gate_id")})


_LOG = insert(_SCAN).values({c: bindparam(c) for c in SCAN_COLUMNS})
_MOVE = _presence_upsert(sqlite_insert)


def write_scan(row: dict[str, Any], presence: dict[str, Any] | None) -> None:
    """The scan log row and the presence it moves: on PostgreSQL in one statement (see
    hotsql); on SQLite two, under the writer lock already held.

    The scan insert's unique ``scan_id`` fails the statement for a repeated upload, and
    then nothing of it was written."""
    if _postgres():
        hotsql.write(row, presence)
        return
    lane = hotsql.lane_state()
    if lane is not None:
        _sqlite_lane_write(lane, row, presence)
        return
    conn = db.session.connection()
    conn.execute(_LOG, row)
    if presence is not None:
        conn.execute(_MOVE, {f"p_{k}": v for k, v in presence.items()})


_PRESENCE_NOW = select(_PRESENCE.c.inside, _PRESENCE.c.day, _PRESENCE.c.since).where(
    _PRESENCE.c.attendee_id == bindparam("attendee"), _PRESENCE.c.zone_id == bindparam("zone"))


def _sqlite_lane_write(lane: Any, row: dict[str, Any], presence: dict[str, Any] | None) -> None:
    """The scan lane on SQLite: the facts were read without the writer lock; the write
    takes it (``BEGIN IMMEDIATE``, as every writer) and, for a passage, first checks
    that presence and, entering a zone with a capacity, the count are still what the
    decision saw. If not, nothing is written (hotsql.LostRace)."""
    conn = lane.sqlite
    conn.commit()  # ends a read transaction, if anything began one
    with sqlite_writer(conn.engine.url.database) as deadline:
        left_ms = max(1, int((deadline - time.monotonic()) * 1000))
        conn.execution_options(sqlite_immediate=True, sqlite_busy_ms=left_ms)
        conn.begin()  # BEGIN IMMEDIATE (db._install_sqlite_hooks); the statements: hotsqlite
        try:
            if presence is not None:
                key = {"attendee": presence["attendee_id"], "zone": presence["zone_id"]}
                now = hotsqlite.run(conn, _PRESENCE_NOW, key) or (None, None, None)
                counted = (hotsqlite.run(conn, _OCCUPANCY_READ, {
                    "zone": presence["zone_id"], "day": presence["day"]})
                    if lane.capacity is not None else None)
                full = lane.capacity is not None and ((counted or (0,))[0] or 0) >= lane.capacity
                if now != lane.read or full:
                    raise hotsql.LostRace()
            hotsqlite.run(conn, _LOG, row)
            if presence is not None:
                hotsqlite.run(conn, _MOVE, {f"p_{k}": v for k, v in presence.items()})
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
