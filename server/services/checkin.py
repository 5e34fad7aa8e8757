"""The check-in engine: one scan in, one verdict out, decided atomically.

A scan reads top to bottom: verify the token, lock the badge row (PostgreSQL) or hold
SQLite's write lock (``BEGIN IMMEDIATE``, see services.db), read presence, call the
shared policy, append to the scan log, move presence. Two gates scanning one badge in
the same millisecond therefore admit it once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from shared import (
    BadBadgeNumber,
    BadgeClaims,
    BadgeFacts,
    Decision,
    Direction,
    GateFacts,
    KeyRing,
    Reason,
    TokenError,
    Verdict,
    ZoneFacts,
    decide,
    parse_badge_number,
    verify_token,
)
from shared.schemas import ScanIn

from ..extensions import db
from ..models import (
    AccessLevel,
    ApiToken,
    Attendee,
    Badge,
    Event,
    Gate,
    Presence,
    Scan,
    Zone,
    utcnow,
)
from . import alerts, keys, setup
from .badges import MAX_DB_ID
from .db import transactional

BATCH_CHUNK = 200


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


@dataclass
class ScanResult:
    scan: Scan  # transient on the hot path: written with a Core INSERT
    gate: Gate
    attendee: Holder | None
    badge: BadgeState | None
    duplicate: bool


def _existing(scan_id: str) -> Scan | None:
    return db.session.scalars(select(Scan).where(Scan.scan_id == scan_id)).first()


def _result_of(scan: Scan, duplicate: bool) -> ScanResult:
    attendee = db.session.get(Attendee, scan.attendee_id) if scan.attendee_id else None
    badge = attendee.badge if attendee else None
    return ScanResult(
        scan=scan,
        gate=db.session.get(Gate, scan.gate_id),  # type: ignore[arg-type]
        attendee=Holder(attendee.id, attendee.name, attendee.organization, attendee.country,
                        attendee.access_level.name) if attendee else None,
        badge=BadgeState(badge.id, badge.revision, badge.status) if badge else None,
        duplicate=duplicate,
    )


@dataclass(frozen=True)
class _Locked:
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


_BADGE = Badge.__table__
_ATTENDEE = Attendee.__table__
_PRESENCE = Presence.__table__
_LEVEL = AccessLevel.__table__
_SCAN = Scan.__table__


def _lock_badge(badge_id: int, zone_id: int) -> _Locked | None:
    """The badge (locked), its holder and their presence in this zone, as plain rows.

    ``FOR UPDATE`` serialises scans of one badge on PostgreSQL (SQLite ignores it; its
    ``BEGIN IMMEDIATE`` already serialises writers). Presence is read by a second
    statement on purpose: under READ COMMITTED a statement that waited for the lock
    still sees the snapshot from before the wait for every table but the locked one.
    Core statements, not ORM entities: this is the hot path."""
    b = db.session.execute(
        select(_BADGE.c.id, _BADGE.c.revision, _BADGE.c.status, _BADGE.c.event_id,
               _BADGE.c.zone_mask, _BADGE.c.day_mask, _BADGE.c.revoked_at, _BADGE.c.attendee_id)
        .where(_BADGE.c.id == badge_id).with_for_update()
    ).first()
    if b is None:
        return None
    a = db.session.execute(
        select(_ATTENDEE.c.name, _ATTENDEE.c.organization, _ATTENDEE.c.country,
               _ATTENDEE.c.deleted_at, _LEVEL.c.name.label("level"), _PRESENCE.c.inside,
               _PRESENCE.c.day, _PRESENCE.c.since)
        .join(_LEVEL, _LEVEL.c.id == _ATTENDEE.c.access_level_id)
        .outerjoin(_PRESENCE, (_PRESENCE.c.attendee_id == _ATTENDEE.c.id)
                   & (_PRESENCE.c.zone_id == zone_id))
        .where(_ATTENDEE.c.id == b.attendee_id)
    ).one()
    return _Locked(
        badge=BadgeState(b.id, b.revision, b.status), event_id=b.event_id,
        zone_mask=b.zone_mask, day_mask=b.day_mask, revoked_at=b.revoked_at,
        holder=Holder(b.attendee_id, a.name, a.organization, a.country, a.level),
        deleted=a.deleted_at is not None, inside=bool(a.inside), presence_day=a.day,
        presence_since=a.since,
    )


def _typed_number(event: Event, text: str) -> BadgeClaims | None:
    """A badge number typed by staff for a damaged code stands for the badge's current
    revision: staff at the gate vouch for the person (and check photo ID)."""
    try:
        badge_id = parse_badge_number(text)
    except BadBadgeNumber:
        return None
    badge = db.session.get(Badge, badge_id) if badge_id <= MAX_DB_ID else None
    if badge is None or badge.event_id != event.id:
        return None
    return BadgeClaims(
        key_id=badge.key_id, badge_id=badge.id, revision=badge.revision,
        valid_days=frozenset(_mask_days(event, badge.day_mask)),
        zone_slots=frozenset(i for i in range(32) if badge.zone_mask >> i & 1),
    )


def _mask_days(event: Event, mask: int) -> list[dt.date]:
    return setup.offsets_to_dates(event, [i for i in range(16) if mask >> i & 1])


def _zone_facts(event: Event, zone: Zone, day: dt.date, lock: bool) -> ZoneFacts:
    occupancy = 0
    if zone.capacity is not None:
        if lock:  # serialise entries into a zone with a capacity, or two could overfill it
            db.session.execute(select(Zone.id).where(Zone.id == zone.id).with_for_update())
        occupancy = setup.zone_occupancy(zone.id, day)
    return ZoneFacts(allow_reentry=zone.allow_reentry, capacity=zone.capacity, occupancy=occupancy)


def _decide_and_log(
    event: Event,
    device: ApiToken | None,
    gate: Gate,
    scan_in: ScanIn,
    ring: KeyRing,
    now: dt.datetime,
) -> ScanResult:
    direction = Direction(scan_in.direction or gate.direction)
    offline = scan_in.offline_verdict is not None
    scanned_at = scan_in.scanned_at or now
    if scanned_at.tzinfo is None:
        scanned_at = scanned_at.replace(tzinfo=dt.UTC)
    day = setup.today(event, scanned_at)
    claims: BadgeClaims | TokenError
    manual = False
    try:
        claims = verify_token(scan_in.code, ring)
    except TokenError as exc:
        claims = _typed_number(event, scan_in.code) or exc
        manual = isinstance(claims, BadgeClaims)
    locked: _Locked | None = None
    facts = BadgeFacts()
    if isinstance(claims, BadgeClaims):
        locked = _lock_badge(claims.badge_id, gate.zone_id)
        if locked is not None and locked.event_id == event.id:
            revoked = (
                locked.badge.revision != claims.revision
                or locked.badge.status != "active"
                or locked.deleted
            )
            if offline and locked.badge.revision == claims.revision and locked.badge.status != "active":
                # Judge an offline scan by what was true when it happened.
                revoked = locked.revoked_at is not None and locked.revoked_at <= scanned_at
            facts = BadgeFacts(
                revoked=revoked,
                inside=locked.inside and locked.presence_day == day,
                zone_slots=frozenset(i for i in range(32) if locked.zone_mask >> i & 1),
                valid_days=frozenset(_mask_days(event, locked.day_mask)),
            )
        else:
            locked = None
            facts = BadgeFacts(revoked=True)  # signed by us, but no such badge any more
    gate_facts = GateFacts(
        zone_slot=gate.zone.slot,
        direction=direction,
        device_allowed=device is None or device.gate_id in (None, gate.id),
    )
    zone_facts = _zone_facts(event, gate.zone, day, lock=direction is Direction.IN)
    server = decide(claims, gate_facts, zone_facts, facts, day)
    shown = (
        Decision(Verdict(scan_in.offline_verdict), Reason(scan_in.offline_reason or server.reason))
        if offline and scan_in.offline_verdict is not None
        else server
    )
    holder = locked.holder if locked else None
    conflict = (
        alerts.conflict_kind(server.reason)
        if offline and shown.admitted and not server.admitted and direction is Direction.IN
        else None
    )
    row = {
        "scan_id": str(scan_in.scan_id),
        "event_id": event.id,
        "device_id": device.id if device else None,
        "gate_id": gate.id,
        "zone_id": gate.zone_id,
        "direction": direction.value,
        "code": scan_in.code[:4096],
        "badge_id": claims.badge_id if isinstance(claims, BadgeClaims) else None,
        "badge_revision": claims.revision if isinstance(claims, BadgeClaims) else None,
        "attendee_id": holder.id if holder else None,
        "verdict": shown.verdict.value,
        "reason": shown.reason.value,
        "server_reason": server.reason.value,
        "mode": "offline" if offline else "online",
        "scanned_at": scanned_at,
        "received_at": now,
        "conflict": conflict,
        "note": "badge number typed at the gate" if manual else None,
    }
    db.session.execute(insert(_SCAN).values(**row))
    if shown.admitted and locked is not None:
        _move_presence(locked, gate, direction, day, scanned_at)
    scan = Scan(**row)  # transient: the answer is shaped from it, nothing reloads
    if conflict:
        alerts.raise_for(event, scan, holder)
    return ScanResult(scan, gate, holder, locked.badge if locked else None, duplicate=False)


def _move_presence(
    locked: _Locked, gate: Gate, direction: Direction, day: dt.date, at: dt.datetime
) -> None:
    since = locked.presence_since
    if since is not None and _aware(since) > at:
        return  # an offline scan older than what we know must not rewind presence
    values = {"inside": direction is Direction.IN, "day": day, "since": at, "gate_id": gate.id}
    dialect = db.session.get_bind().dialect.name
    upsert = (pg_insert if dialect == "postgresql" else sqlite_insert)(_PRESENCE).values(
        attendee_id=locked.holder.id, zone_id=gate.zone_id, **values)
    db.session.execute(upsert.on_conflict_do_update(
        index_elements=[_PRESENCE.c.attendee_id, _PRESENCE.c.zone_id], set_=values))


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def record_scan(
    event: Event,
    device: ApiToken | None,
    scan_in: ScanIn,
    now: dt.datetime | None = None,
    gate: Gate | None = None,
) -> ScanResult:
    """Decide one scan; idempotent by ``scan_id``: a retry returns the first answer.

    The scan_id's uniqueness is enforced by the insert itself (no SELECT first): a
    repeated id fails the transaction, which rolls back, and the stored answer wins."""
    gate = gate or setup.resolve_gate(event, scan_in.gate)
    ring = keys.keyring(event)
    moment = now or utcnow()
    for attempt in range(3):
        try:
            return transactional(_decide_and_log)(event, device, gate, scan_in, ring, moment)
        except IntegrityError:
            db.session.rollback()
            existing = _existing(str(scan_in.scan_id))
            if existing is not None:
                # The same scan_id was recorded before (or raced in on another worker).
                return _result_of(existing, duplicate=True)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def record_batch(event: Event, device: ApiToken | None, scans: list[ScanIn]) -> list[ScanResult]:
    """Queued offline scans, oldest first. A chunk shares one transaction (one fsync, one
    write lock) and each scan has its own savepoint, so one bad or repeated scan cannot
    hold back the rest. Unknown gates refuse the batch before anything is recorded."""
    ordered = sorted(scans, key=lambda s: _aware(s.scanned_at) if s.scanned_at else utcnow())
    gates = {ref: setup.resolve_gate(event, ref) for ref in {s.gate for s in ordered}}
    ring = keys.keyring(event)
    now = utcnow()

    @transactional
    def run(chunk: list[ScanIn]) -> list[ScanResult]:
        out: list[ScanResult] = []
        for scan_in in chunk:
            try:
                with db.session.begin_nested():
                    out.append(_decide_and_log(event, device, gates[scan_in.gate], scan_in, ring, now))
            except IntegrityError:
                existing = _existing(str(scan_in.scan_id))
                if existing is None:
                    raise
                out.append(_result_of(existing, duplicate=True))
        return out

    results: list[ScanResult] = []
    for start in range(0, len(ordered), BATCH_CHUNK):
        results += run(ordered[start:start + BATCH_CHUNK])
    return results
