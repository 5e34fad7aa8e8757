"""The check-in engine: one scan in, one verdict out, decided atomically.

Two paths over the same steps (facts under lock -> decide -> log -> move presence):

- online (``record_scan``): the server is the authority. It decides at its own clock
  and its verdict is the answer; the gate's ``scanned_at`` is kept as ``device_time``.
- offline upload (``record_batch``): the gate already decided. Its time (clamped to
  when it can be true, see scantime) and verdict stand (what happened at the door
  happened); the server decides again beside them, as of the scan's time, and flags an
  admit it would have denied.

The badge row is locked (PostgreSQL) or SQLite's write lock is held (``BEGIN
IMMEDIATE``, see services.db) while presence is read, so two gates scanning one badge
in the same millisecond admit it once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
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

from ... import metrics
from ...extensions import db
from ...models import Attendee, Event, Gate, Scan, utcnow
from .. import ratelimit
from ..accounts.devices import Device
from ..db import transactional
from ..event import setup
from ..issuing import keycache
from . import alerts, groupcommit, privacy, scantime
from .checkin_facts import (
    BadgeState,
    Holder,
    Locked,
    badge_facts,
    count_mode,
    lan_inside,
    lock_badge,
    presence_move,
    typed_number,
    write_scan,
    zone_facts,
)

BATCH_CHUNK = 200


@dataclass
class ScanResult:
    scan: Scan | LoggedScan  # a stored Scan for a repeat, else what was just written
    gate: Gate
    attendee: Holder | None
    badge: BadgeState | None
    duplicate: bool


@dataclass(frozen=True, slots=True)
class LoggedScan:
    """A scan log row as written (hotsql.SCAN_COLUMNS): plain values, no ORM instance
    (building one cost a scan as much as its signature check)."""

    scan_id: str
    event_id: int
    device_id: int | None
    gate_id: int
    zone_id: int
    direction: str
    code: str | None
    badge_id: int | None
    badge_revision: int | None
    attendee_id: int | None
    verdict: str
    reason: str
    server_reason: str
    mode: str
    lan_seq: int | None
    scanned_at: dt.datetime
    device_time: dt.datetime | None
    received_at: dt.datetime
    conflict: str | None
    note: str | None


@dataclass(frozen=True)
class Caller:
    """The device that sent the scan, as plain values read before the transaction."""

    device_id: int | None
    bound_gate_id: int | None
    last_sync_at: dt.datetime | None = None  # the floor of its offline scans' times
    name: str = "anonymous"

    def may_scan_at(self, gate: Gate, direction: Direction) -> bool:
        """A device bound to a gate scans there, in that gate's direction, and nowhere
        else: not at another zone's exit, not ``out`` at its own entrance."""
        if self.bound_gate_id is None:
            return True
        return gate.id == self.bound_gate_id and direction.value == gate.direction

    @classmethod
    def of(cls, device: Device | None) -> Caller:
        if device is None:
            return cls(None, None)
        return cls(device.id, device.gate_id, device.last_sync_at, f"device:{device.name}")


@dataclass(frozen=True)
class _Seen:
    """Facts under lock: what the code claims and what the database says about it."""

    claims: BadgeClaims | TokenError
    manual: bool  # a badge number typed at the gate, not a scanned code
    locked: Locked | None
    direction: Direction
    day: dt.date


def _facts(event: Event, caller: Caller, gate: Gate, scan_in: ScanIn, ring: KeyRing,
           at: dt.datetime, revoked_as_of: dt.datetime | None,
           verified: BadgeClaims | None = None) -> tuple[_Seen, Decision]:
    """Step 1 and 2, shared by both paths: read the facts under lock, then decide.
    ``verified``: the code's claims, when the caller has verified it with ``ring``."""
    direction = Direction(scan_in.direction or gate.direction)
    day = setup.today(event, at)
    claims: BadgeClaims | TokenError
    claims, manual = (verified, False) if verified else _claims(event, scan_in.code, ring)
    locked = (lock_badge(*_lock_key(claims, gate, direction, day))
              if isinstance(claims, BadgeClaims) else None)
    if locked is not None and not keycache.is_current(ring, locked.keys_version):
        # The cached ring is older than the keys (one was added or retired): decide with
        # the keys as they are now, still under the badge lock.
        claims, manual = _claims(event, scan_in.code, keycache.reload(event))
        locked = locked if isinstance(claims, BadgeClaims) else None
    if locked is not None and locked.event_id != event.id:
        locked = None
    badge = (badge_facts(event, claims, locked, day, revoked_as_of)
             if isinstance(claims, BadgeClaims) else BadgeFacts())
    if scan_in.mode == "lan" and scan_in.offline_reason is not None:
        # A LAN leader ordered this scan against its group's presence log: judge it by
        # that order, not by which gate's upload happened to arrive first.
        badge = dataclasses.replace(badge, inside=lan_inside(
            direction, Reason(scan_in.offline_reason), badge.inside))
    # A deactivated gate is out of service: whatever is scanned there is refused, in
    # either direction, as at a gate the device is not bound to (staff send people to
    # an open gate; a scan there from a lost or forgotten device admits no one).
    allowed = caller.may_scan_at(gate, direction) and gate.active
    gate_facts = GateFacts(zone_slot=gate.zone.slot, direction=direction, device_allowed=allowed)
    zones = zone_facts(gate.zone, locked)
    verdict = decide(claims, gate_facts, zones, badge, day)
    if not allowed and verdict.admitted:
        # The shared policy lets every exit out; a bound device at a gate (or in a
        # direction) that is not its own is refused before that rule, exits included.
        verdict = Decision(Verdict.DENY, Reason.DEVICE_NOT_ALLOWED)
    return _Seen(claims, manual, locked, direction, day), verdict


def _lock_key(claims: BadgeClaims, gate: Gate, direction: Direction,
              day: dt.date) -> tuple[int, int, dt.date, int]:
    return claims.badge_id, gate.zone_id, day, count_mode(gate.zone, direction)


def facts_key(event: Event, gate: Gate, scan_in: ScanIn, ring: KeyRing, at: dt.datetime
              ) -> tuple[tuple[int, int, dt.date, int], BadgeClaims] | None:
    """What an online scan's facts step will lock and read, when its code verifies with
    ``ring`` (the scan lane reads those facts with the device's token, one round trip),
    and the verified claims (for ``decide_online``: one signature check per scan)."""
    try:
        claims = verify_token(scan_in.code, ring)
    except TokenError:
        return None
    return _lock_key(claims, gate, Direction(scan_in.direction or gate.direction),
                     setup.today(event, at)), claims


def _claims(event: Event, code: str, ring: KeyRing) -> tuple[BadgeClaims | TokenError, bool]:
    """What the code claims, and whether it was a badge number typed at the gate. A key
    this process has not seen yet is looked up before ``unknown_key`` is believed."""
    try:
        return verify_token(code, ring), False
    except TokenError as exc:
        if exc.reason is Reason.UNKNOWN_KEY and not keycache.is_current(
                ring, keycache.current_version(event)):
            return _claims(event, code, keycache.reload(event))
        typed = typed_number(event, code)
        return (typed, True) if typed is not None else (exc, False)


def _log(event: Event, caller: Caller, gate: Gate, scan_in: ScanIn, seen: _Seen, *,
         shown: Decision, server: Decision, mode: str, scanned_at: dt.datetime,
         received_at: dt.datetime, conflict: str | None,
         presence_at: dt.datetime | None = None, note: str | None = None) -> LoggedScan:
    """Step 3 and 4: append to the scan log and, when ``presence_at`` is given, move
    presence, in one statement where the database allows (``write_scan``). The scan's
    unique scan_id makes a repeated upload fail here, and the caller answers with the
    stored scan."""
    claims, holder = seen.claims, seen.locked.holder if seen.locked else None
    row = {
        "scan_id": str(scan_in.scan_id),
        "event_id": event.id,
        "device_id": caller.device_id,
        "gate_id": gate.id,
        "zone_id": gate.zone_id,
        "direction": seen.direction.value,
        "code": privacy.stored_code(scan_in.code, claims, seen.manual),
        "badge_id": claims.badge_id if isinstance(claims, BadgeClaims) else None,
        "badge_revision": claims.revision if isinstance(claims, BadgeClaims) else None,
        "attendee_id": holder.id if holder else None,
        "verdict": shown.verdict.value,
        "reason": shown.reason.value,
        "server_reason": server.reason.value,
        "mode": mode,
        "lan_seq": scan_in.lan_seq if scan_in.offline_verdict is not None else None,
        "scanned_at": scanned_at,
        "device_time": scan_in.scanned_at,
        "received_at": received_at,
        "conflict": conflict,
        "note": note or ("badge number typed at the gate" if seen.manual else None),
    }
    moved = (presence_move(seen.locked, gate, seen.direction, seen.day, presence_at)
             if presence_at is not None and seen.locked is not None else None)
    write_scan(row, moved)
    return LoggedScan(**row)  # the answer is shaped from it, nothing reloads


def _result(scan: LoggedScan, gate: Gate, seen: _Seen) -> ScanResult:
    locked = seen.locked
    holder = locked.holder if locked and not locked.deleted else None  # deleted: no one
    return ScanResult(scan, gate, holder, locked.badge if locked else None, duplicate=False)


def decide_online(event: Event, caller: Caller, gate: Gate, scan_in: ScanIn, ring: KeyRing,
                  now: dt.datetime, verified: BadgeClaims | None = None) -> ScanResult:
    """The online path: the server's clock and the server's verdict. The caller owns the
    transaction: ``_decide_online`` below, or the scan lane (server/lane.py)."""
    seen, verdict = _facts(event, caller, gate, scan_in, ring, now, revoked_as_of=None,
                           verified=verified)
    scan = _log(event, caller, gate, scan_in, seen, shown=verdict, server=verdict, mode="online",
                scanned_at=now, received_at=now, conflict=None,
                presence_at=now if verdict.admitted else None)
    if privacy.looks_typed(scan_in.code):
        badge_id = seen.claims.badge_id if isinstance(seen.claims, BadgeClaims) else None
        privacy.audit_typed(caller.name, scan_in.code, badge_id, found=seen.manual)
    return _result(scan, gate, seen)


_decide_online = transactional(decide_online)


def _record_offline(event: Event, caller: Caller, gate: Gate, scan_in: ScanIn, ring: KeyRing,
                    now: dt.datetime) -> ScanResult:
    """The offline path: the gate's time and verdict stand; the server's own verdict,
    as of that time, is stored beside them, and an admit it would deny raises an alert."""
    assert scan_in.offline_verdict is not None and scan_in.offline_reason is not None
    scanned_at = scantime.offline_time(scan_in.scanned_at, now, caller.last_sync_at)
    seen, server = _facts(event, caller, gate, scan_in, ring, scanned_at, revoked_as_of=scanned_at)
    shown = Decision(Verdict(scan_in.offline_verdict), Reason(scan_in.offline_reason))
    note = None
    if server.reason is Reason.DEVICE_NOT_ALLOWED:
        # A bound device's scan at a gate not its own never moves presence: what its
        # gate claimed goes in the note, the refusal is what stands.
        note = f"gate showed {shown.verdict.value} ({shown.reason.value}) offline"
        shown = server
    disagrees = shown.admitted and not server.admitted and seen.direction is Direction.IN
    conflict = alerts.conflict_kind(server.reason) if disagrees else None
    scan = _log(event, caller, gate, scan_in, seen, shown=shown, server=server,
                mode=scan_in.mode or "offline", scanned_at=scanned_at, received_at=now,
                conflict=conflict, presence_at=scanned_at if shown.admitted else None,
                note=note)
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
    if attendee is not None and attendee.deleted_at is not None:
        attendee = None  # a deleted attendee answers nothing personal, a retry included
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
    device: Device | None,
    scan_in: ScanIn,
    now: dt.datetime | None = None,
    gate: Gate | None = None,
) -> ScanResult:
    """Decide one online scan; idempotent by ``scan_id``: a retry returns the first answer.

    The scan_id's uniqueness is enforced by the insert itself (no SELECT first): a
    repeated id fails the transaction, which rolls back, and the stored answer wins."""
    caller = Caller.of(device)
    if privacy.looks_typed(scan_in.code):  # before any work: a limit, not a cost
        ratelimit.hit(ratelimit.typed_numbers(), str(caller.device_id or caller.name),
                      "too many typed numbers")
    gate = gate or setup.resolve_gate(event, scan_in.gate)
    ring = keycache.ring(event)
    moment = now or utcnow()
    grouped = (db.session.get_bind().dialect.name == "sqlite"
               and current_app.config.get("SQLITE_GROUP_COMMIT", True))
    for attempt in range(3):
        try:
            if grouped:  # scans arriving together share one commit (one fsync)
                result, shared = groupcommit.run(
                    lambda: _decide_online(event, caller, gate, scan_in, ring, moment))
                metrics.count_commit_group(shared)
                return result
            return _decide_online(event, caller, gate, scan_in, ring, moment)
        except IntegrityError:
            db.session.rollback()
            existing = _existing(str(scan_in.scan_id))
            if existing is not None:
                return existing  # recorded before, or raced in on another worker
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def record_batch(event: Event, device: Device | None, scans: list[ScanIn],
                 now: dt.datetime | None = None) -> list[ScanResult]:
    """Queued offline scans, oldest first. Each chunk of ``BATCH_CHUNK`` is one commit
    (one fsync, one write lock) and each scan has its own savepoint, so one bad or
    repeated scan cannot hold back the rest. Unknown gates refuse the batch before
    anything is recorded. A scan without the gate's verdict is decided online.
    ``now`` (the moment of receipt) is injected by tests that stage another day."""
    now = now or utcnow()
    caller = Caller.of(device)
    ordered = sorted(scans, key=lambda s: scantime.offline_time(s.scanned_at, now,
                                                                caller.last_sync_at))
    gates = {ref: setup.resolve_gate(event, ref) for ref in {s.gate for s in ordered}}
    ring = keycache.ring(event)
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
