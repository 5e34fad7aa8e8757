"""Reading the scan log: newest first, filtered by badge, attendee or gate."""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from sqlalchemy import and_, or_, select

from ...errors import ValidationFailed
from ...extensions import db
from ...models import ApiToken, Attendee, Event, Gate, Scan, Zone


def query(
    event: Event,
    *,
    badge: int | None = None,
    attendee: int | None = None,
    gate: int | None = None,
    limit: int = 100,
    after: tuple[dt.datetime, int] | None = None,
    scan_id: str | None = None,
) -> list[tuple[Scan, str, str, str | None, str | None]]:
    """Newest first; ``after`` (from ``decode_cursor``) continues below a page's last row.
    The cursor is the (scanned_at, id) of that row, so rows recorded meanwhile (newer,
    or offline uploads with older times) neither shift nor repeat the pages."""
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
    if scan_id is not None:
        stmt = stmt.where(Scan.scan_id == scan_id)
    if after is not None:
        at, last_id = after
        stmt = stmt.where(or_(Scan.scanned_at < at, and_(Scan.scanned_at == at, Scan.id < last_id)))
    stmt = stmt.order_by(Scan.scanned_at.desc(), Scan.id.desc()).limit(max(1, min(limit, 1001)))  # a page + 1 tells if more
    return [tuple(row) for row in db.session.execute(stmt).all()]  # type: ignore[misc]


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def encode_cursor(scan: Scan) -> str:
    micros = (scan.scanned_at - _EPOCH) // dt.timedelta(microseconds=1)  # exact, no float
    return base64.urlsafe_b64encode(f"{micros}.{scan.id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        micros, _, last_id = text.partition(".")
        at = _EPOCH + dt.timedelta(microseconds=int(micros))
        parsed = int(last_id)
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError, OSError) as exc:
        raise ValidationFailed(f"bad cursor {cursor!r}", code="bad_cursor") from exc
    if not 0 < parsed < 2**63:
        raise ValidationFailed(f"bad cursor {cursor!r}", code="bad_cursor")
    return at, parsed
