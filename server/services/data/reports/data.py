"""The post-event report's figures, aggregated in SQL so 1,000,000 scans send a few
thousand rows to Python (bucketed counts, a window function for stay times).

Scans that count: admitted by a gate or an override (``online``, ``offline``,
``override``); annulled admits and annul entries are left out; system exits (the day's
end) close stays like any exit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, literal, select
from sqlalchemy.sql.elements import ColumnElement

from ....extensions import db
from ....models import AccessLevel, Attendee, Event, Gate, Scan, Zone
from ...event import setup

BUCKET_S = 900  # 15 minutes
STAY_BUCKET_MIN = 30
_COUNTED = ("online", "offline", "override", "system")


@dataclass
class ReportData:
    event: str
    timezone: str
    days: list[dt.date]
    # day -> gate -> [(bucket start local, count)]
    arrivals: dict[dt.date, dict[str, list[tuple[dt.datetime, int]]]] = field(default_factory=dict)
    # day -> zone -> [(bucket end local, inside)] and the peak (time, inside)
    occupancy: dict[dt.date, dict[str, list[tuple[dt.datetime, int]]]] = field(default_factory=dict)
    peaks: dict[dt.date, dict[str, tuple[dt.datetime, int]]] = field(default_factory=dict)
    stays: list[tuple[int, int]] = field(default_factory=list)  # (minutes from, count)
    no_shows_by_level: list[tuple[str, int, int]] = field(default_factory=list)  # level, no-show, all
    no_shows_by_country: list[tuple[str, int, int]] = field(default_factory=list)
    denies: list[tuple[str, int]] = field(default_factory=list)
    gates: list[dict[str, Any]] = field(default_factory=list)  # offline share, conflicts
    totals: dict[str, int] = field(default_factory=dict)


def _epoch(column: Any) -> ColumnElement[Any]:
    if db.engine.dialect.name == "sqlite":
        return cast(func.strftime("%s", column), Integer)
    return cast(func.floor(func.extract("epoch", column)), Integer)


def _local(epoch: int, tz: Any) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC).astimezone(tz)


def _not_annulled() -> ColumnElement[bool]:
    annulled = select(Scan.annuls).where(Scan.annuls.is_not(None))
    return Scan.scan_id.not_in(annulled)


def _flows(event: Event) -> list[tuple[str, int, int, int]]:
    """(zone, bucket, entries, exits) of the event."""
    bucket = cast(_epoch(Scan.scanned_at) / BUCKET_S, Integer).label("b")
    entering = and_(Scan.direction == "in", Scan.reason.in_(("ok", "forced")))
    leaving = and_(Scan.direction == "out", Scan.reason == "ok")
    rows = db.session.execute(
        select(Zone.name, bucket, func.sum(case((entering, 1), else_=0)),
               func.sum(case((leaving, 1), else_=0)))
        .join(Zone, Zone.id == Scan.zone_id)
        .where(Scan.event_id == event.id, Scan.verdict == "admit", Scan.mode.in_(_COUNTED),
               _not_annulled())
        .group_by(Zone.name, bucket).order_by(Zone.name, bucket)).all()
    return [(z, int(b), int(i or 0), int(o or 0)) for z, b, i, o in rows]


def _occupancy(data: ReportData, event: Event, tz: Any) -> None:
    """Net flow per 15 minutes, summed within each event day (presence restarts daily)."""
    level: dict[tuple[dt.date, str], int] = {}
    for zone, b, ins, outs in _flows(event):
        end = _local((b + 1) * BUCKET_S, tz)
        day = _local(b * BUCKET_S, tz).date()
        inside = max(0, level.get((day, zone), 0) + ins - outs)
        level[(day, zone)] = inside
        data.occupancy.setdefault(day, {}).setdefault(zone, []).append((end, inside))
        peak = data.peaks.setdefault(day, {}).get(zone)
        if peak is None or inside > peak[1]:
            data.peaks[day][zone] = (end, inside)


def _arrivals(data: ReportData, event: Event, tz: Any) -> None:
    bucket = cast(_epoch(Scan.scanned_at) / BUCKET_S, Integer).label("b")
    rows = db.session.execute(
        select(Gate.name, bucket, func.count())
        .join(Gate, Gate.id == Scan.gate_id)
        .where(Scan.event_id == event.id, Scan.verdict == "admit", Scan.direction == "in",
               Scan.mode.in_(_COUNTED), _not_annulled())
        .group_by(Gate.name, bucket).order_by(Gate.name, bucket)).all()
    counts: dict[tuple[dt.date, str], dict[int, int]] = {}
    for gate, b, count in rows:
        counts.setdefault((_local(int(b) * BUCKET_S, tz).date(), gate), {})[int(b)] = int(count)
    for (day, gate), by_bucket in counts.items():
        # Quiet quarters are zeros, not gaps a line would bridge.
        first, last = min(by_bucket), max(by_bucket)
        data.arrivals.setdefault(day, {})[gate] = [
            (_local(b * BUCKET_S, tz), by_bucket.get(b, 0)) for b in range(first, last + 1)]


def _stays(data: ReportData, event: Event) -> None:
    """Entry to the next scan of the same person in the same zone, when that is an exit."""
    t = _epoch(Scan.scanned_at)
    ordered = (
        select(Scan.direction.label("dir"), t.label("t"),
               func.lead(Scan.direction).over(partition_by=(Scan.attendee_id, Scan.zone_id),
                                              order_by=(Scan.scanned_at, Scan.id)).label("next_dir"),
               func.lead(t).over(partition_by=(Scan.attendee_id, Scan.zone_id),
                                 order_by=(Scan.scanned_at, Scan.id)).label("next_t"))
        .where(Scan.event_id == event.id, Scan.verdict == "admit", Scan.attendee_id.is_not(None),
               Scan.mode.in_(_COUNTED), _not_annulled())
        .subquery())
    minutes = cast((ordered.c.next_t - ordered.c.t) / (60 * STAY_BUCKET_MIN), Integer).label("m")
    rows = db.session.execute(
        select(minutes, func.count())
        .where(ordered.c.dir == "in", ordered.c.next_dir == "out",
               ordered.c.next_t - ordered.c.t < 24 * 3600)
        .group_by(minutes).order_by(minutes)).all()
    data.stays = [(int(m) * STAY_BUCKET_MIN, int(c)) for m, c in rows]


def _no_shows(data: ReportData, event: Event) -> None:
    came = (select(Scan.attendee_id).where(Scan.event_id == event.id, Scan.verdict == "admit",
                                          Scan.direction == "in", Scan.attendee_id.is_not(None))
            .distinct().subquery())
    absent = case((came.c.attendee_id.is_(None), 1), else_=0)
    base = (select(func.sum(absent), func.count())
            .select_from(Attendee).outerjoin(came, came.c.attendee_id == Attendee.id)
            .where(Attendee.event_id == event.id, Attendee.deleted_at.is_(None)))
    by_level = db.session.execute(
        base.add_columns(AccessLevel.name).join(AccessLevel, AccessLevel.id == Attendee.access_level_id)
        .group_by(AccessLevel.name).order_by(AccessLevel.name)).all()
    data.no_shows_by_level = [(name, int(n or 0), int(total)) for n, total, name in by_level]
    country = func.coalesce(func.nullif(Attendee.country, ""), literal("??"))
    by_country = db.session.execute(
        base.add_columns(country.label("c")).group_by(country)
        .order_by(func.sum(absent).desc(), country).limit(15)).all()
    data.no_shows_by_country = [(c, int(n or 0), int(total)) for n, total, c in by_country]


def _gates(data: ReportData, event: Event) -> None:
    offline = func.sum(case((Scan.mode == "offline", 1), else_=0))
    conflicts = func.sum(case((Scan.conflict.is_not(None), 1), else_=0))
    rows = db.session.execute(
        select(Gate.name, func.count(), offline, conflicts)
        .join(Gate, Gate.id == Scan.gate_id)
        .where(Scan.event_id == event.id, Scan.mode.in_(("online", "offline")))
        .group_by(Gate.name).order_by(Gate.name)).all()
    data.gates = [{"gate": g, "scans": int(n), "offline": int(o or 0), "conflicts": int(c or 0),
                   "offline_share": (int(o or 0) / int(n)) if n else 0.0} for g, n, o, c in rows]


def _denies(data: ReportData, event: Event) -> None:
    rows = db.session.execute(
        select(Scan.reason, func.count())
        .where(Scan.event_id == event.id, Scan.verdict == "deny", Scan.mode != "annul")
        .group_by(Scan.reason).order_by(func.count().desc())).all()
    data.denies = [(r, int(c)) for r, c in rows]


def collect(event: Event) -> ReportData:
    tz = setup.event_tz(event)
    days = setup.offsets_to_dates(event, list(range((event.end_date - event.start_date).days + 1)))
    data = ReportData(event=event.name, timezone=event.timezone, days=days)
    _arrivals(data, event, tz)
    _occupancy(data, event, tz)
    _stays(data, event)
    _no_shows(data, event)
    _denies(data, event)
    _gates(data, event)
    data.totals = {
        "attendees": sum(t for _, _, t in data.no_shows_by_level),
        "no_shows": sum(n for _, n, _ in data.no_shows_by_level),
        "scans": sum(g["scans"] for g in data.gates),
        "denied": sum(c for _, c in data.denies),
        "conflicts": sum(g["conflicts"] for g in data.gates),
    }
    return data
