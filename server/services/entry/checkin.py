"""The check-in engine: one scan in, one verdict out, decided atomically.

Two paths over the same steps (facts under lock -> decide -> log -> move presence):

- online (``record_scan``): the server is the authority. It decides at its own clock
  and its verdict is the answer; the gate's ``scanned_at`` is kept for the record.
- offline upload (``record_batch``): the gate already decided. Its time and verdict
  stand (what happened at the door happened); the server decides again beside them,
  as of the scan's time, and flags an admit it would have denied.

The badge row is locked (PostgreSQL) or SQLite's write lock is held (``BEGIN
IMMEDIATE``, see services.db) while presence is read, so two gates scanning one badge
in the same millisecond admit it once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from shared import (
    BadgeClaims,
    BadgeFacts,
    Decision,
    Direction,
    GateFacts,
    KeyRing,
    Reason,
    TokenError,
    Verdict,
    decide,
    verify_token,
)
from shared.schemas import ScanIn

from ...extensions import db
from ...models import ApiToken, Attendee, Event, Gate, Scan, utcnow
from ..db import transactional
from ..event import setup
from ..issuing import keys
from . import alerts
from .checkin_facts import (
    BadgeState,
    Holder,
    Locked,
    badge_facts,
    lock_badge,
    move_presence,
    typed_number,
    zone_facts,
)

BATCH_CHUNK = 200
_SCAN = Scan.__table__


@dataclass
class ScanResult:
    scan: Scan  # transient on the hot path: written with a Core INSERT
    gate: Gate
    attendee: Holder | None
    badge: BadgeState | None
    duplicate: bool


@dataclass(frozen=True)
class Caller:
    """The device that sent the scan, as plain values read before the transaction."""

    device_id: int | None
    bound_gate_id: int | None

    @classmethod
    def of(cls, device: ApiToken | None) -> Caller:
        return cls(device.id, device.gate_id) if device else cls(None, None)


@dataclass(frozen=True)
class _Seen:
    """Facts under lock: what the code claims and what the database says about it."""

    claims: BadgeClaims | TokenError
    manual: bool  # a badge number typed at the gate, not a scanned code
    locked: Locked | None
    direction: Direction
    day: dt.date


def _facts(event: Event, caller: Caller, gate: Gate, scan_in: ScanIn, ring: KeyRing,
           at: dt.datetime, revoked_as_of: dt.datetime | None) -> tuple[_Seen, Decision]:
    """Step 1 and 2, shared by both paths: read the facts under lock, then decide."""
    direction = Direction(scan_in.direction or gate.direction)
    day = setup.today(event, at)
    claims: BadgeClaims | TokenError
    manual = False
    try:
        claims = verify_token(scan_in.code, ring)
    except TokenError as exc:
        typed = typed_number(event, scan_in.code)
        claims, manual = (typed, True) if typed is not None else (exc, False)
    locked = lock_badge(claims.badge_id, gate.zone_id) if isinstance(claims, BadgeClaims) else None
    if locked is not None and locked.event_id != event.id:
        locked = None
    badge = (badge_facts(event, claims, locked, day, revoked_as_of)
             if isinstance(claims, BadgeClaims) else BadgeFacts())
    gate_facts = GateFacts(zone_slot=gate.zone.slot, direction=direction,
                           device_allowed=caller.bound_gate_id in (None, gate.id))
    zones = zone_facts(gate.zone, day, lock=direction is Direction.IN)
    verdict = decide(claims, gate_facts, zones, badge, day)
    return _Seen(claims, manual, locked, direction, day), verdict


def _log(event: Event, caller: Caller, gate: Gate, scan_in: ScanIn, seen: _Seen, *,
         shown: Decision, server: Decision, mode: str, scanned_at: dt.datetime,
         received_at: dt.datetime, conflict: str | None) -> Scan:
    """Step 3: append to the scan log (one Core INSERT; its unique scan_id makes a
    repeated upload fail here, and the caller answers with the stored scan)."""
    claims, holder = seen.claims, seen.locked.holder if seen.locked else None
    row = {
        "scan_id": str(scan_in.scan_id),
        "event_id": event.id,
        "device_id": caller.device_id,
        "gate_id": gate.id,
        "zone_id": gate.zone_id,
        "direction": seen.direction.value,
        "code": scan_in.code[:4096],
        "badge_id": claims.badge_id if isinstance(claims, BadgeClaims) else None,
        "badge_revision": claims.revision if isinstance(claims, BadgeClaims) else None,
        "attendee_id": holder.id if holder else None,
        "verdict": shown.verdict.value,
        "reason": shown.reason.value,
        "server_reason": server.reason.value,
        "mode": mode,
        "scanned_at": scanned_at,
        "received_at": received_at,
        "conflict": conflict,
        "note": "badge number typed at the gate" if seen.manual else None,
    }
    db.session.execute(insert(_SCAN).values(**row))
    return Scan(**row)  # transient: the answer is shaped from it, nothing reloads


def _result(scan: Scan, gate: Gate, seen: _Seen) -> ScanResult:
    locked = seen.locked
    return ScanResult(scan, gate, locked.holder if locked else None,
                      locked.badge if locked else None, duplicate=False)


@transactional
def _decide_online(event: Event, caller: Caller, gate: Gate, scan_in: ScanIn, ring: KeyRing,
                   now: dt.datetime) -> ScanResult:
    """The online path: the server's clock and the server's verdict."""
    seen, verdict = _facts(event, caller, gate, scan_in, ring, now, revoked_as_of=None)
    scan = _log(event, caller, gate, scan_in, seen, shown=verdict, server=verdict, mode="online",
                scanned_at=scan_in.scanned_at or now, received_at=now, conflict=None)
    if verdict.admitted and seen.locked is not None:
        move_presence(seen.locked, gate, seen.direction, seen.day, now)
    return _result(scan, gate, seen)


def _record_offline(event: Event, caller: Caller, gate: Gate, scan_in: ScanIn, ring: KeyRing,
                    now: dt.datetime) -> ScanResult:
    """The offline path: the gate's time and verdict stand; the server's own verdict,
    as of that time, is stored beside them, and an admit it would deny raises an alert."""
    assert scan_in.offline_verdict is not None and scan_in.offline_reason is not None
    scanned_at = scan_in.scanned_at or now
    seen, server = _facts(event, caller, gate, scan_in, ring, scanned_at, revoked_as_of=scanned_at)
    shown = Decision(Verdict(scan_in.offline_verdict), Reason(scan_in.offline_reason))
    disagrees = shown.admitted and not server.admitted and seen.direction is Direction.IN
    conflict = alerts.conflict_kind(server.reason) if disagrees else None
    scan = _log(event, caller, gate, scan_in, seen, shown=shown, server=server, mode="offline",
                scanned_at=scanned_at, received_at=now, conflict=conflict)
    if shown.admitted and seen.locked is not None:
        move_presence(seen.locked, gate, seen.direction, seen.day, scanned_at)
    if conflict:
        alerts.raise_for(event, scan, seen.locked.holder if seen.locked else None)
    return _result(scan, gate, seen)


def _existing(scan_id: str) -> ScanResult | None:
    """The stored answer to a scan_id recorded before (a retry or a repeated upload)."""
    scan = db.session.scalars(select(Scan).where(Scan.scan_id == scan_id)).first()
    if scan is None:
        return None
    attendee = db.session.get(Attendee, scan.attendee_id) if scan.attendee_id else None
    badge = attendee.badge if attendee else None
    return ScanResult(
        scan=scan,
        gate=db.session.get(Gate, scan.gate_id),  # type: ignore[arg-type]
        attendee=Holder(attendee.id, attendee.name, attendee.organization, attendee.country,
                        attendee.access_level.name) if attendee else None,
        badge=BadgeState(badge.id, badge.revision, badge.status) if badge else None,
        duplicate=True,
    )


def record_scan(
    event: Event,
    device: ApiToken | None,
    scan_in: ScanIn,
    now: dt.datetime | None = None,
    gate: Gate | None = None,
) -> ScanResult:
    """Decide one online scan; idempotent by ``scan_id``: a retry returns the first answer.

    The scan_id's uniqueness is enforced by the insert itself (no SELECT first): a
    repeated id fails the transaction, which rolls back, and the stored answer wins."""
    gate = gate or setup.resolve_gate(event, scan_in.gate)
    ring = keys.keyring(event)
    caller = Caller.of(device)
    moment = now or utcnow()
    for attempt in range(3):
        try:
            return _decide_online(event, caller, gate, scan_in, ring, moment)
        except IntegrityError:
            db.session.rollback()
            existing = _existing(str(scan_in.scan_id))
            if existing is not None:
                return existing  # recorded before, or raced in on another worker
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def record_batch(event: Event, device: ApiToken | None, scans: list[ScanIn]) -> list[ScanResult]:
    """Queued offline scans, oldest first. Each chunk of ``BATCH_CHUNK`` is one commit
    (one fsync, one write lock) and each scan has its own savepoint, so one bad or
    repeated scan cannot hold back the rest. Unknown gates refuse the batch before
    anything is recorded. A scan without the gate's verdict is decided online."""
    now = utcnow()
    ordered = sorted(scans, key=lambda s: s.scanned_at or now)
    gates = {ref: setup.resolve_gate(event, ref) for ref in {s.gate for s in ordered}}
    ring = keys.keyring(event)
    caller = Caller.of(device)
    results: list[ScanResult] = []
    for start in range(0, len(ordered), BATCH_CHUNK):
        chunk = ordered[start:start + BATCH_CHUNK]
        results += _record_chunk(event, caller, gates, chunk, ring, now)
    return results


@transactional
def _record_chunk(event: Event, caller: Caller, gates: dict[str, Gate], chunk: list[ScanIn],
                  ring: KeyRing, now: dt.datetime) -> list[ScanResult]:
    out: list[ScanResult] = []
    for scan_in in chunk:
        path = _record_offline if scan_in.offline_verdict is not None else _decide_online
        try:
            with db.session.begin_nested():
                out.append(path(event, caller, gates[scan_in.gate], scan_in, ring, now))
        except IntegrityError:
            existing = _existing(str(scan_in.scan_id))
            if existing is None:
                raise
            out.append(existing)
    return out
