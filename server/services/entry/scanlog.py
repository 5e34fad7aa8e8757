"""Reading the scan log: newest first, filtered by badge, attendee or gate."""

from __future__ import annotations

from sqlalchemy import select

from ...extensions import db
from ...models import ApiToken, Attendee, Event, Gate, Scan, Zone


def query(
    event: Event,
    *,
    badge: int | None = None,
    attendee: int | None = None,
    gate: int | None = None,
    limit: int = 100,
) -> list[tuple[Scan, str, str, str | None, str | None]]:
    stmt = (
        select(Scan, Gate.name, Zone.name, ApiToken.name, Attendee.name)
        .join(Gate, Gate.id == Scan.gate_id)
        .join(Zone, Zone.id == Scan.zone_id)
        .outerjoin(ApiToken, ApiToken.id == Scan.device_id)
        .outerjoin(Attendee, Attendee.id == Scan.attendee_id)
        .where(Scan.event_id == event.id)
    )
    if badge is not None:
        stmt = stmt.where(Scan.badge_id == badge)
    if attendee is not None:
        stmt = stmt.where(Scan.attendee_id == attendee)
    if gate is not None:
        stmt = stmt.where(Scan.gate_id == gate)
    stmt = stmt.order_by(Scan.scanned_at.desc(), Scan.id.desc()).limit(max(1, min(limit, 1000)))
    return [tuple(row) for row in db.session.execute(stmt).all()]  # type: ignore[misc]
