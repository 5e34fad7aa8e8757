"""Arrived of registered, per access level and per event day: the overview's "how many
of our guests came" (distinct people admitted in, event days in the event's time zone)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from ...extensions import db
from ...models import Attendee, Event, Scan
from . import setup


def by_level_and_day(event: Event) -> dict[str, Any]:
    tz = setup.event_tz(event)
    days = [event.start_date + dt.timedelta(days=i)
            for i in range((event.end_date - event.start_date).days + 1)]
    levels = setup.list_levels(event)
    registered = dict(db.session.execute(
        select(Attendee.access_level_id, func.count())
        .where(Attendee.event_id == event.id, Attendee.deleted_at.is_(None))
        .group_by(Attendee.access_level_id)).all())
    arrived: dict[tuple[int, dt.date], int] = {}
    for day in days:
        # One query per event day (at most 16): day boundaries are the event's midnights.
        start = dt.datetime.combine(day, dt.time(), tz)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz)
        rows = db.session.execute(
            select(Attendee.access_level_id, func.count(func.distinct(Scan.attendee_id)))
            .join(Attendee, Attendee.id == Scan.attendee_id)
            .where(Scan.event_id == event.id, Scan.verdict == "admit", Scan.direction == "in",
                   Scan.scanned_at >= start, Scan.scanned_at < end)
            .group_by(Attendee.access_level_id)).all()
        for level_id, count in rows:
            arrived[(level_id, day)] = int(count)
    return {
        "days": [d.isoformat() for d in days],
        "levels": [{"name": lv.name, "registered": int(registered.get(lv.id, 0)),
                    "arrived": [arrived.get((lv.id, d), 0) for d in days]} for lv in levels],
    }
