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
from typing import Any

import orjson
from sqlalchemy import Row, select, tuple_, update

from shared import day_offsets_of, format_badge_number, slots_of
from shared.sync_schemas import (
    PACKED_ACTIVE,
    PACKED_ERASED,
    PACKED_REVOKED,
    BadgeRecord,
    EventOut,
    GateDeviceKey,
    KeyOut,
    PackedSyncOut,
    PresenceRecord,
    SyncOut,
)

from ...errors import ValidationFailed
from ...extensions import db
from ...models import ApiToken, Badge, Event, Presence, SigningKeyRecord, SyncState, utcnow
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


def _page(event: Event, cursor: str | None, limit: int) -> tuple[list[Row[Any]], bool, str]:
    """One page of badge rows after the cursor, whether more follow, and the next cursor."""
    version, last_id = parse_cursor(cursor)
    limit = max(1, min(limit, MAX_PAGE))
    rows = db.session.execute(
        select(
            Badge.id, Badge.revision, Badge.status, Badge.zone_mask, Badge.day_mask,
            Badge.sealed, Badge.sync_version,
        )
        .where(Badge.event_id == event.id,
               tuple_(Badge.sync_version, Badge.id) > tuple_(version, last_id))
        .order_by(Badge.sync_version, Badge.id)
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    if rows:
        version, last_id = rows[-1].sync_version, rows[-1].id
    return rows, more, f"{version}.{last_id}"


def _keys(event: Event) -> list[KeyOut]:
    keys = db.session.execute(
        select(SigningKeyRecord.key_id, SigningKeyRecord.public_key).where(
            SigningKeyRecord.event_id == event.id, SigningKeyRecord.retired_at.is_(None)
        )
    ).all()
    return [KeyOut(key_id=k, public_key=base64.b64encode(bytes(p)).decode()) for k, p in keys]


def feed(event: Event, cursor: str | None, limit: int = DEFAULT_PAGE, gate: str | None = None
         ) -> SyncOut:
    """Format 1: a record object per badge."""
    rows, more, next_cursor = _page(event, cursor, limit)
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
    now = utcnow()
    return SyncOut(event=event_out(event), server_time=now, keys=_keys(event),
                   badges=records, cursor=next_cursor, more=more,
                   gate_devices=gate_devices(),
                   presence=zone_presence(event, gate, now) if gate and not more else None)


def feed_packed(event: Event, cursor: str | None, limit: int = DEFAULT_PAGE,
                gate: str | None = None) -> tuple[bytes, bool]:
    """Format 2 (``shared.sync_schemas.PackedSyncOut``) as JSON bytes, and whether more follow.

    Written straight from the rows with orjson: at 20,000 records a page, a pydantic
    model per record cost more than the query. The LAN fields (gate devices, and the
    gate's zone presence on the last page) mean what they mean in format 1."""
    rows, more, next_cursor = _page(event, cursor, limit)
    now = utcnow()
    head = PackedSyncOut(
        event=event_out(event), server_time=now, keys=_keys(event), badges=[],
        cursor=next_cursor, more=more, gate_devices=gate_devices(),
        presence=zone_presence(event, gate, now) if gate and not more else None,
    ).model_dump(mode="json")
    head["badges"] = [
        (badge_id, revision, PACKED_ACTIVE if status == "active" else PACKED_REVOKED,
         zone_mask, day_mask, sealed)
        if status != "erased" else (badge_id, revision, PACKED_ERASED, 0, 0, None)
        for badge_id, revision, status, zone_mask, day_mask, sealed, _ in rows]
    return orjson.dumps(head), more


def gate_devices() -> list[GateDeviceKey]:
    """The LAN keys of active gate devices: a peer not listed here is not listened to."""
    rows = db.session.execute(
        select(ApiToken.id, ApiToken.name, ApiToken.lan_public_key).where(
            ApiToken.role == "gate", ApiToken.revoked_at.is_(None),
            ApiToken.lan_public_key.is_not(None))
        .order_by(ApiToken.id)
    ).all()
    return [GateDeviceKey(device_id=r.id, name=r.name, public_key=r.lan_public_key) for r in rows]


def zone_presence(event: Event, gate_ref: str, now: dt.datetime) -> list[PresenceRecord]:
    """Who is inside the gate's zone today (badge ids and times only, nothing personal):
    a LAN group that loses the server starts from this."""
    gate = setup.resolve_gate(event, gate_ref)
    rows = db.session.execute(
        select(Badge.id, Presence.since)
        .select_from(Presence)
        .join(Badge, Badge.attendee_id == Presence.attendee_id)
        .where(Presence.zone_id == gate.zone_id, Presence.inside.is_(True),
               Presence.day == setup.today(event, now), Badge.event_id == event.id)
    ).all()
    return [PresenceRecord(badge_id=r.id, zone_slot=gate.zone.slot, inside=True, since=r.since)
            for r in rows]


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
