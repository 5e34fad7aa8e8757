"""What the exports contain: attendees, the scan log, and attendance per day x zone x
access level. Each is a header and a generator of rows read from a server-side cursor
(``yield_per``), so 500,000 scans never sit in memory at once; ``tabular`` writes them.

Times are converted to the event's time zone (aware datetimes: the CSV shows ISO 8601
with the offset, the XLSX the wall-clock time). Raw codes are never exported.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from shared import format_badge_number

from ...errors import NotFound
from ...extensions import db
from ...models import AccessLevel, ApiToken, Attendee, Badge, Event, Gate, Scan, Zone
from ...models.event import level_zones
from ..event import setup
from .tabular import Cell

YIELD_PER = 2000
Query = Any  # a Core select; its row type varies by export (SQLAlchemy types it by column)
KINDS = ("attendees", "scans", "attendance")


@dataclass(frozen=True)
class Filters:
    day: dt.date | None = None
    zone_id: int | None = None
    gate_id: int | None = None
    level_id: int | None = None


def resolve_filters(event: Event, day: dt.date | None, zone: str | None, gate: str | None,
                    level: str | None) -> Filters:
    """Zones, gates and levels by name or id, as staff type them."""
    zone_id = _by_name_or_id(event, Zone, zone) if zone else None
    level_id = _by_name_or_id(event, AccessLevel, level) if level else None
    gate_id = setup.resolve_gate(event, gate).id if gate else None
    return Filters(day=day, zone_id=zone_id, gate_id=gate_id, level_id=level_id)


def _by_name_or_id(event: Event, model: type[Zone] | type[AccessLevel], ref: str) -> int:
    query = select(model.id).where(model.event_id == event.id)
    found = None
    if ref.isascii() and ref.isdigit() and len(ref) < 10:
        found = db.session.scalar(query.where(model.id == int(ref)))
    if found is None:
        found = db.session.scalar(query.where(model.name == ref))
    if found is None:
        kind = "zone" if model is Zone else "access level"
        raise NotFound(f"no {kind} {ref!r}", code=f"unknown_{kind.replace(' ', '_')}")
    return int(found)


def _day_bounds(event: Event, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = setup.event_tz(event)
    start = dt.datetime.combine(day, dt.time(), tz)
    return start.astimezone(dt.UTC), (start + dt.timedelta(days=1)).astimezone(dt.UTC)


def _local(value: dt.datetime | None, tz: ZoneInfo) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:  # aggregates bypass the column type on SQLite
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(tz).replace(microsecond=0)


def _stream(stmt: Query) -> Iterator[Any]:
    yield from db.session.execute(stmt, execution_options={"yield_per": YIELD_PER})


# --- attendees ------------------------------------------------------------------------

ATTENDEE_HEADER = ("attendee_id", "external_id", "name", "organization", "country", "email",
                   "language", "access_level", "days", "badge_number", "badge_revision",
                   "badge_status", "mail_state", "first_admitted_at", "no_show")


def attendee_rows(event: Event, f: Filters) -> Iterator[Sequence[Cell]]:
    tz = setup.event_tz(event)
    first = (
        select(Scan.attendee_id.label("aid"), func.min(Scan.scanned_at).label("first"))
        .where(Scan.event_id == event.id, Scan.verdict == "admit", Scan.direction == "in",
               Scan.attendee_id.is_not(None))
        .group_by(Scan.attendee_id).subquery()
    )
    stmt = (
        select(Attendee.id, Attendee.external_id, Attendee.name, Attendee.organization,
               Attendee.country, Attendee.email, Attendee.language, AccessLevel.name,
               Attendee.day_offsets, AccessLevel.day_offsets, Badge.id, Badge.revision,
               Badge.status, Attendee.mail_state, first.c.first)
        .join(AccessLevel, AccessLevel.id == Attendee.access_level_id)
        .outerjoin(Badge, Badge.attendee_id == Attendee.id)
        .outerjoin(first, first.c.aid == Attendee.id)
        .where(Attendee.event_id == event.id, Attendee.deleted_at.is_(None))
        .order_by(Attendee.id)
    )
    if f.level_id is not None:
        stmt = stmt.where(Attendee.access_level_id == f.level_id)
    if f.zone_id is not None:
        stmt = stmt.where(Attendee.access_level_id.in_(
            select(level_zones.c.access_level_id).where(level_zones.c.zone_id == f.zone_id)))
    wanted = (f.day - event.start_date).days if f.day else None
    for r in _stream(stmt):
        own, level_days, badge_id, first_at = r[8], r[9], r[10], r[14]
        offsets = own if own is not None else level_days or []
        if wanted is not None and wanted not in offsets:
            continue
        days = ";".join(d.isoformat() for d in setup.offsets_to_dates(event, offsets))
        yield (r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], days,
               format_badge_number(badge_id) if badge_id else None, r[11], r[12], r[13],
               _local(first_at, tz), "yes" if first_at is None else "no")


# --- scans ----------------------------------------------------------------------------

SCAN_HEADER = ("scan_id", "scanned_at", "received_at", "gate", "zone", "direction", "verdict",
               "reason", "server_reason", "mode", "conflict", "badge_number",
               "badge_revision", "attendee_id", "name", "organization", "access_level",
               "device", "actor", "note")


def _scan_filters(event: Event, stmt: Query, f: Filters) -> Query:
    stmt = stmt.where(Scan.event_id == event.id)
    if f.day is not None:
        start, end = _day_bounds(event, f.day)
        stmt = stmt.where(Scan.scanned_at >= start, Scan.scanned_at < end)
    if f.zone_id is not None:
        stmt = stmt.where(Scan.zone_id == f.zone_id)
    if f.gate_id is not None:
        stmt = stmt.where(Scan.gate_id == f.gate_id)
    if f.level_id is not None:
        stmt = stmt.where(Attendee.access_level_id == f.level_id)
    return stmt


def scan_rows(event: Event, f: Filters) -> Iterator[Sequence[Cell]]:
    tz = setup.event_tz(event)
    stmt = (
        select(Scan.scan_id, Scan.scanned_at, Scan.received_at, Gate.name, Zone.name,
               Scan.direction, Scan.verdict, Scan.reason, Scan.server_reason, Scan.mode,
               Scan.conflict, Scan.badge_id, Scan.badge_revision, Scan.attendee_id,
               Attendee.name, Attendee.organization, AccessLevel.name, ApiToken.name,
               Scan.actor, Scan.note)
        .join(Gate, Gate.id == Scan.gate_id)
        .join(Zone, Zone.id == Scan.zone_id)
        .outerjoin(Attendee, Attendee.id == Scan.attendee_id)
        .outerjoin(AccessLevel, AccessLevel.id == Attendee.access_level_id)
        .outerjoin(ApiToken, ApiToken.id == Scan.device_id)
        .order_by(Scan.scanned_at, Scan.id)
    )
    for r in _stream(_scan_filters(event, stmt, f)):
        yield (r[0], _local(r[1], tz), _local(r[2], tz), r[3], r[4], r[5], r[6], r[7], r[8],
               r[9], r[10], format_badge_number(r[11]) if r[11] else None, r[12], r[13],
               r[14], r[15], r[16], r[17], r[18], r[19])


# --- attendance -----------------------------------------------------------------------

ATTENDANCE_HEADER = ("day", "zone", "access_level", "arrived", "peak_inside", "peak_at",
                     "median_stay_min", "stays_measured")


@dataclass
class _Group:
    arrived: set[int]
    inside: int = 0
    peak: int = 0
    peak_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        self.stays: list[float] = []


def attendance_rows(event: Event, f: Filters) -> Iterator[Sequence[Cell]]:
    """One pass over the admitted scans in time order, replaying presence per person and
    zone as the check-in engine moved it (presence counts within one event day)."""
    tz = setup.event_tz(event)
    stmt: Query = (
        select(Scan.attendee_id, Scan.zone_id, Scan.direction, Scan.scanned_at,
               Attendee.access_level_id)
        .join(Attendee, Attendee.id == Scan.attendee_id)
        .where(Scan.verdict == "admit", Scan.mode != "annul")
        .order_by(Scan.scanned_at, Scan.id)
    )
    stmt = _scan_filters(event, stmt, f)
    groups: dict[tuple[dt.date, int, int], _Group] = {}
    inside: dict[tuple[int, int], tuple[dt.date, dt.datetime]] = {}
    for attendee_id, zone_id, direction, at, level_id in _stream(stmt):
        at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
        day = at.astimezone(tz).date()
        group = groups.get((day, zone_id, level_id))
        if group is None:
            group = groups[(day, zone_id, level_id)] = _Group(arrived=set())
        state = inside.get((attendee_id, zone_id))
        was_inside = state is not None and state[0] == day
        if direction == "in":
            group.arrived.add(attendee_id)
            if not was_inside:
                inside[(attendee_id, zone_id)] = (day, at)
                group.inside += 1
                if group.inside > group.peak:
                    group.peak, group.peak_at = group.inside, at
        elif was_inside and state is not None:
            del inside[(attendee_id, zone_id)]
            group.inside -= 1
            group.stays.append((at - state[1]).total_seconds() / 60)
    zones = dict(db.session.execute(select(Zone.id, Zone.name).where(Zone.event_id == event.id)).all())
    levels = dict(db.session.execute(
        select(AccessLevel.id, AccessLevel.name).where(AccessLevel.event_id == event.id)).all())
    for (day, zone_id, level_id), g in sorted(
            groups.items(), key=lambda kv: (kv[0][0], zones.get(kv[0][1], ""), levels.get(kv[0][2], ""))):
        median = round(statistics.median(g.stays), 1) if g.stays else None
        yield (day, zones.get(zone_id, str(zone_id)), levels.get(level_id, str(level_id)),
               len(g.arrived), g.peak, _local(g.peak_at, tz), median, len(g.stays))


def table(event: Event, kind: str, f: Filters) -> tuple[tuple[str, ...], Iterator[Sequence[Cell]]]:
    if kind == "attendees":
        return ATTENDEE_HEADER, attendee_rows(event, f)
    if kind == "scans":
        return SCAN_HEADER, scan_rows(event, f)
    if kind == "attendance":
        return ATTENDANCE_HEADER, attendance_rows(event, f)
    raise NotFound(f"no export {kind!r}")
