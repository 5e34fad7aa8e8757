"""Reading the scan log: newest first, filtered by badge, attendee or gate."""

from __future__ import annotations

from sqlalchemy import func, select

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


def lan_counts(event: Event) -> dict[int, tuple[int, int]]:
    """Per gate device, the scans it decided in a LAN group while the server was away:
    (ordered by a leader, decided alone with no leader answering = degraded)."""
    rows = db.session.execute(
        select(Scan.device_id, Scan.mode, func.count())
        .where(Scan.event_id == event.id, Scan.mode.in_(("lan", "degraded")),
               Scan.device_id.is_not(None))
        .group_by(Scan.device_id, Scan.mode)
    ).all()
    counts: dict[int, tuple[int, int]] = {}
    for device_id, mode, n in rows:
        lan, degraded = counts.get(device_id, (0, 0))
        counts[device_id] = (lan + n, degraded) if mode == "lan" else (lan, degraded + n)
    return counts
