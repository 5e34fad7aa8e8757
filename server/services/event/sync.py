"""The gates' sync feed: keys, and badge records changed since a cursor.

A sequence number is not commit order on PostgreSQL: a transaction that took number 5
may commit after one that took 6, and a reader that already moved its cursor to 6
would never see 5. So every transaction that changes badges takes its version from one
row with ``UPDATE ... RETURNING``, whose row lock it holds until it commits: the next
writer waits, and versions become visible strictly in order. Badge changes are rare
(issue, revoke, edit), so the serialisation costs nothing at the gates.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable

from sqlalchemy import or_, select, update

from shared import day_offsets_of, format_badge_number, slots_of
from shared.schemas import BadgeRecord, EventOut, KeyOut, SyncOut

from ...errors import ValidationFailed
from ...extensions import db
from ...models import Badge, Event, SigningKeyRecord, SyncState, utcnow
from ..db import transactional
from . import setup

DEFAULT_PAGE = 5000
MAX_PAGE = 20000


def next_version() -> int:
    version = db.session.scalar(
        update(SyncState).where(SyncState.id == 1).values(version=SyncState.version + 1)
        .returning(SyncState.version)
    )
    if version is None:
        db.session.add(SyncState(id=1, version=1))
        db.session.flush()
        version = 1
    return int(version)


@transactional
def ensure_state() -> None:
    """The one sync-version row exists (a fresh database)."""
    if db.session.get(SyncState, 1) is None:
        db.session.add(SyncState(id=1, version=0))


def stamp(badges: Iterable[Badge]) -> int:
    """Give the changed badges this transaction's version (call late: it takes the lock)."""
    version = next_version()
    for badge in badges:
        badge.sync_version = version
    return version


def parse_cursor(cursor: str | None) -> tuple[int, int]:
    if not cursor:
        return 0, 0
    try:
        version, _, last_id = cursor.partition(".")
        parsed = int(version), int(last_id or 0)
    except ValueError as exc:
        raise ValidationFailed(f"bad sync cursor {cursor!r}", code="bad_cursor") from exc
    if not (0 <= parsed[0] < 2**62 and 0 <= parsed[1] < 2**31):
        raise ValidationFailed(f"bad sync cursor {cursor!r}", code="bad_cursor")
    return parsed


def _days(mask: int, event: Event) -> list[dt.date]:
    return setup.offsets_to_dates(event, day_offsets_of(mask))


def feed(event: Event, cursor: str | None, limit: int = DEFAULT_PAGE) -> SyncOut:
    version, last_id = parse_cursor(cursor)
    limit = max(1, min(limit, MAX_PAGE))
    rows = db.session.execute(
        select(
            Badge.id, Badge.revision, Badge.status, Badge.zone_mask, Badge.day_mask,
            Badge.sealed, Badge.sync_version,
        )
        .where(
            Badge.event_id == event.id,
            or_(
                Badge.sync_version > version,
                (Badge.sync_version == version) & (Badge.id > last_id),
            ),
        )
        .order_by(Badge.sync_version, Badge.id)
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    records = [
        BadgeRecord(
            badge_id=r.id,
            number=format_badge_number(r.id),
            revision=r.revision,
            revoked=r.status != "active",
            zone_slots=sorted(slots_of(r.zone_mask)),
            days=_days(r.day_mask, event),
            sealed=r.sealed,
        )
        if r.status != "erased" else _erased_record(r.id, r.revision)
        for r in rows
    ]
    if rows:
        version, last_id = rows[-1].sync_version, rows[-1].id
    keys = db.session.execute(
        select(SigningKeyRecord.key_id, SigningKeyRecord.public_key).where(
            SigningKeyRecord.event_id == event.id, SigningKeyRecord.retired_at.is_(None)
        )
    ).all()
    return SyncOut(
        event=event_out(event),
        server_time=utcnow(),
        keys=[KeyOut(key_id=k, public_key=base64.b64encode(bytes(p)).decode()) for k, p in keys],
        badges=records,
        cursor=f"{version}.{last_id}",
        more=more,
    )


def _erased_record(badge_id: int, revision: int) -> BadgeRecord:
    # Nothing personal and nothing to admit: the gate keeps a revoked tombstone only.
    return BadgeRecord(badge_id=badge_id, number=format_badge_number(badge_id),
                       revision=revision, revoked=True, zone_slots=[], days=[], sealed=None,
                       erased=True)


def event_out(event: Event) -> EventOut:
    return EventOut(
        id=event.id,
        name=event.name,
        timezone=event.timezone,
        start_date=event.start_date,
        end_date=event.end_date,
        venue=event.venue,
    )
