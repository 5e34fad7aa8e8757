"""The day's end and the gate's second thoughts: automatic check-out, and annul.

Automatic check-out (pretix's ``exit_all_at``): at the event's ``checkout_time`` (event
time) everyone still inside gets a logged system exit, so the next day starts empty and
stay times end somewhere sensible. The server's own worker runs it (no cron line); it is
idempotent per event day (a marker in the audit log, checked under a lock on the event
row), so several worker threads or a rerun from the CLI close a day once.

Annul: a gate may take back its own admit within 60 s of the server recording it (the
turnstile did not turn). The log keeps the admit and gains an annul entry pointing to
it; presence goes back to what it was before the admit.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import insert, select

from shared import Reason

from ...errors import Conflict, Forbidden, NotFound
from ...extensions import db
from ...models import AuditEntry, Badge, Event, Gate, Presence, Scan, utcnow
from ..accounts import audit
from ..accounts.devices import Device
from ..db import transactional
from ..event import setup

ANNUL_WINDOW = dt.timedelta(seconds=60)
SYSTEM = "system"


def _closed(event: Event, day: dt.date) -> bool:
    return db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == "day.checkout", AuditEntry.target == f"event:{event.id}:{day}")) is not None


def _close(event_id: int, now: dt.datetime, actor: str, once_per_day: bool) -> int:
    # The event row's lock serialises closers (PostgreSQL; SQLite's writer lock already does).
    event = db.session.scalars(select(Event).where(Event.id == event_id).with_for_update()).one()
    day = setup.today(event, now)
    if once_per_day and _closed(event, day):
        return 0
    rows = db.session.execute(
        select(Presence, Badge.id, Badge.revision)
        .outerjoin(Badge, Badge.attendee_id == Presence.attendee_id)
        .where(Presence.inside.is_(True), Presence.day == day,
               Presence.zone_id.in_(select(Gate.zone_id).where(Gate.event_id == event.id)))
    ).all()
    fallback = dict(db.session.execute(
        select(Gate.zone_id, Gate.id).where(Gate.event_id == event.id).order_by(Gate.id.desc())).all())
    for presence, badge_id, revision in rows:
        db.session.execute(insert(Scan.__table__).values(
            scan_id=str(uuid.uuid4()), event_id=event.id, device_id=None,
            gate_id=presence.gate_id or fallback[presence.zone_id], zone_id=presence.zone_id,
            direction="out", code="", badge_id=badge_id, badge_revision=revision,
            attendee_id=presence.attendee_id, verdict="admit", reason=Reason.OK.value,
            server_reason=Reason.OK.value, mode="system", scanned_at=now, received_at=now,
            actor=actor, note="automatic check-out at the day's end"))
        presence.inside = False
        presence.since = now
    # The scheduled check-out leaves its once-a-day marker; an on-demand close does not
    # stand in for it (people may come back in after a manual close).
    audit.record(actor, "day.checkout" if once_per_day else "day.close",
                 f"event:{event.id}:{day}", checked_out=len(rows))
    return len(rows)


def close_day(event: Event, now: dt.datetime | None = None, actor: str = SYSTEM) -> int:
    """Check out everyone still inside now (the CLI's ``close-day``); returns how many."""
    return transactional(_close)(event.id, now or utcnow(), actor, False)


def close_due(now: dt.datetime) -> int:
    """For the worker: each event whose check-out time has passed today, once a day."""
    total = 0
    for event in db.session.scalars(select(Event).where(Event.checkout_time.is_not(None))).all():
        local = now.astimezone(setup.event_tz(event))
        hh, mm = (int(x) for x in (event.checkout_time or "00:00").split(":"))
        if local.time() >= dt.time(hh, mm) and not _closed(event, local.date()):
            total += transactional(_close)(event.id, now, SYSTEM, True)
    return total


def _annul(event: Event, device: Device | None, scan_id: str, now: dt.datetime) -> Scan:
    original = db.session.scalars(
        select(Scan).where(Scan.scan_id == scan_id, Scan.event_id == event.id).with_for_update()
    ).first()
    if original is None:
        raise NotFound(f"no scan {scan_id}")
    if device is None or original.device_id != device.id:
        raise Forbidden("only the device that recorded a scan may annul it")
    if original.verdict != "admit" or original.mode not in ("online", "offline", "lan", "degraded"):
        raise Conflict("only an admit can be annulled", code="not_annullable")
    if db.session.scalar(select(Scan.id).where(Scan.annuls == original.scan_id)) is not None:
        raise Conflict("this scan is annulled already", code="already_annulled")
    if now - original.received_at > ANNUL_WINDOW:
        raise Conflict("too late: an admit can be annulled within 60 seconds", code="annul_too_late")
    if original.badge_id is not None and db.session.scalar(select(Scan.id).where(
            Scan.badge_id == original.badge_id, Scan.id > original.id)) is not None:
        raise Conflict("the badge was scanned again since", code="later_scan_exists")
    if original.attendee_id is not None:
        presence = db.session.get(Presence, (original.attendee_id, original.zone_id))
        if presence is not None and presence.since == original.scanned_at:
            presence.inside = original.direction != "in"
    entry = Scan(
        scan_id=str(uuid.uuid4()), event_id=event.id, device_id=device.id,
        gate_id=original.gate_id, zone_id=original.zone_id, direction=original.direction,
        code="", badge_id=original.badge_id, badge_revision=original.badge_revision,
        attendee_id=original.attendee_id, verdict="deny", reason=Reason.ANNULLED.value,
        server_reason=Reason.ANNULLED.value, mode="annul", scanned_at=now, received_at=now,
        actor=device.name, note=f"annuls {original.scan_id}", annuls=original.scan_id)
    db.session.add(entry)
    db.session.flush()
    return entry


def annul(event: Event, device: Device | None, scan_id: str, now: dt.datetime | None = None) -> Scan:
    return transactional(_annul)(event, device, scan_id, now or utcnow())
