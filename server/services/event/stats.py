"""Figures for the live overview: occupancy, arrivals, scan rate, denies, gate states.

Times are bucketed in SQL (epoch seconds divided by the bucket width) so a busy event
sends a few dozen rows to Python, not every scan.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from ...extensions import db
from ...models import ApiToken, Event, Gate, Scan, utcnow
from . import attendance, setup

ONLINE_WITHIN_S = 120
ARRIVAL_BUCKET_S = 300
ARRIVAL_WINDOW = dt.timedelta(hours=2)
RATE_WINDOW = dt.timedelta(minutes=30)


def _bucket(width_s: int) -> ColumnElement[Any]:
    if db.engine.dialect.name == "sqlite":
        epoch: ColumnElement[Any] = cast(func.strftime("%s", Scan.scanned_at), Integer)
    else:
        epoch = cast(func.floor(func.extract("epoch", Scan.scanned_at)), Integer)
    return cast(epoch / width_s, Integer)


def _bucket_start(bucket: int, width_s: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(bucket) * width_s, dt.UTC)


def occupancy(event: Event) -> list[dict[str, Any]]:
    counts = setup.occupancy(event)
    return [{"id": z.id, "name": z.name, "capacity": z.capacity,
             "inside": counts.get(z.id, 0)} for z in setup.list_zones(event)]


def arrivals(event: Event, now: dt.datetime) -> dict[str, Any]:
    """Admitted entries per gate per 5 minutes over the last two hours."""
    width = ARRIVAL_BUCKET_S
    first = int((now - ARRIVAL_WINDOW).timestamp()) // width + 1
    last = int(now.timestamp()) // width
    bucket = _bucket(width).label("bucket")
    rows = db.session.execute(
        select(Gate.name, bucket, func.count())
        .join(Gate, Gate.id == Scan.gate_id)
        .where(Scan.event_id == event.id, Scan.verdict == "admit", Scan.direction == "in",
               Scan.scanned_at >= _bucket_start(first, width))
        .group_by(Gate.name, bucket)
    ).all()
    slots = list(range(first, last + 1))
    series: dict[str, list[int]] = {}
    for gate, b, count in rows:
        if first <= int(b) <= last:
            series.setdefault(gate, [0] * len(slots))[int(b) - first] = int(count)
    return {"buckets": [_bucket_start(b, width).isoformat() for b in slots],
            "series": [{"gate": g, "counts": c} for g, c in sorted(series.items())]}


def scans_per_minute(event: Event, now: dt.datetime) -> list[dict[str, Any]]:
    first = int((now - RATE_WINDOW).timestamp()) // 60 + 1
    last = int(now.timestamp()) // 60
    bucket = _bucket(60).label("bucket")
    rows: dict[int, int] = dict(db.session.execute(
        select(bucket, func.count())
        .where(Scan.event_id == event.id, Scan.scanned_at >= _bucket_start(first, 60))
        .group_by(bucket)
    ).all())
    return [{"minute": _bucket_start(b, 60).isoformat(), "scans": int(rows.get(b, 0))}
            for b in range(first, last + 1)]


def denies_by_reason(event: Event, now: dt.datetime) -> list[dict[str, Any]]:
    """Denied scans since the start of today's event day."""
    tz = setup.event_tz(event)
    start = dt.datetime.combine(setup.today(event, now), dt.time(), tz)
    rows = db.session.execute(
        select(Scan.reason, func.count())
        .where(Scan.event_id == event.id, Scan.verdict == "deny", Scan.scanned_at >= start)
        .group_by(Scan.reason).order_by(func.count().desc())
    ).all()
    return [{"reason": reason, "count": int(count)} for reason, count in rows]


def gate_states(now: dt.datetime) -> list[dict[str, Any]]:
    """Gate devices with their last heartbeat; a recent scan also counts as a sign of life."""
    last_scan = dict(db.session.execute(
        select(Scan.device_id, func.max(Scan.received_at))
        .where(Scan.device_id.is_not(None)).group_by(Scan.device_id)
    ).all())
    gate_names = dict(db.session.execute(select(Gate.id, Gate.name)).all())
    # An unbound laptop's gate is the one it scanned at last.
    newest = select(func.max(Scan.id)).where(Scan.device_id.is_not(None)).group_by(Scan.device_id)
    last_gate = dict(db.session.execute(
        select(Scan.device_id, Scan.gate_id).where(Scan.id.in_(newest))).all())
    states = []
    devices = db.session.scalars(
        select(ApiToken).where(ApiToken.role == "gate", ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.name)
    )
    for device in devices:
        seen = [t for t in (device.last_seen_at, _aware(last_scan.get(device.id))) if t]
        last_seen = max(seen) if seen else None
        online = last_seen is not None and (now - last_seen).total_seconds() <= ONLINE_WITHIN_S
        gate_id = device.gate_id or device.reported_gate_id or last_gate.get(device.id)
        states.append({
            "device": device.name,
            "gate": gate_names.get(gate_id, "") if gate_id else "",
            "online": online,
            "mode": device.mode or "",
            "last_seen": last_seen.isoformat() if last_seen else None,
            "last_sync": device.last_sync_at.isoformat() if device.last_sync_at else None,
            "queued_scans": device.queued_scans,
            "clock_skew_s": device.clock_skew_s,
        })
    return states


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # Aggregates bypass the column type, so SQLite hands back a naive UTC datetime or text.
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def overview(event: Event, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    return {
        "event": event.name,
        "generated_at": now.isoformat(),
        "timezone": event.timezone,
        "occupancy": occupancy(event),
        "arrivals": arrivals(event, now),
        "scans_per_minute": scans_per_minute(event, now),
        "denies": denies_by_reason(event, now),
        "gates": gate_states(now),
        "attendance": attendance.by_level_and_day(event),
    }
