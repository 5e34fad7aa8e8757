"""Erasure (GDPR art. 17, PIPL art. 47) and retention: a person's data leaves everywhere.

What is erased: name, email, organization, country, external id, the raw codes in the
scan log and the badge, the names inside alert messages, scan notes and audit details,
queued webhook payloads, and the badge mails in the outbox folder. What stays: the
attendee row as a pseudonymous shell (id, access level, days) and the scan log rows with
the badge id, so counts, no-shows and attendance stay right. The email becomes a unique
placeholder, so the event's unique-email rule still holds.

Gates learn it from the sync feed: the badge gets status ``erased`` and a new sync
version; the record goes out without its sealed personal fields and with ``erased``
set, and the gate's store forgets it (keeping only a revoked tombstone, so the signed
code cannot be admitted offline).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select, update

from ...errors import NotFound, ValidationFailed
from ...extensions import db
from ...models import Alert, Attendee, AuditEntry, Badge, Event, Scan, utcnow
from ..accounts import audit
from ..db import transactional
from ..event import setup, sync

ERASED = "[erased]"
BATCH = 200  # attendees per transaction when retention erases a whole event


@dataclass(frozen=True)
class _Person:
    """What must disappear, read before the row is blanked."""

    id: int
    badge_id: int | None
    badge_revision: int
    needles: tuple[str, ...]  # free text that may carry the person: name, email, codes


def find(event: Event, attendee_id: int) -> Attendee:
    """Also soft-deleted people: deleting hid them, erasing is what removes them."""
    attendee = db.session.get(Attendee, attendee_id) if 0 < attendee_id < 2**31 else None
    if attendee is None or attendee.event_id != event.id or attendee.erased_at is not None:
        raise NotFound(f"no attendee {attendee_id}")
    return attendee


def _person(attendee: Attendee) -> _Person:
    badge = attendee.badge
    needles = {attendee.name, attendee.email}
    if attendee.external_id:
        needles.add(attendee.external_id)
    if badge is not None:
        needles.add(badge.code)
        needles.update(c for (c,) in db.session.execute(
            select(Scan.code).where(Scan.badge_id == badge.id).distinct()) if c)
    return _Person(attendee.id, badge.id if badge else None, badge.revision if badge else 0,
                   tuple(sorted(n for n in needles if n and len(n) >= 3)))


def _scrub_text(text: str, needles: Iterable[str]) -> str:
    for needle in needles:
        text = text.replace(needle, ERASED)
    return text


def _blank(attendee: Attendee, now: dt.datetime) -> None:
    attendee.name = ERASED
    attendee.search_text = ""
    attendee.organization = ""
    attendee.country = ""
    attendee.external_id = None
    attendee.mail_error = None
    # Unique per person and never deliverable (.invalid is reserved, RFC 2606).
    attendee.email = f"erased-{attendee.id}-{secrets.token_hex(4)}@erased.invalid"
    attendee.erased_at = now
    attendee.deleted_at = attendee.deleted_at or now


def _scrub_audit(people: list[_Person]) -> int:
    """Audit details are free-form JSON (reasons, notes): rewrite any entry that
    mentions one of these people. JSON may escape non-ASCII, so compare decoded text."""
    needles = sorted({n for p in people for n in p.needles}, key=len, reverse=True)
    if not needles:
        return 0
    pattern = re.compile("|".join(re.escape(n) for n in needles))
    changed = 0
    for entry in db.session.scalars(select(AuditEntry).execution_options(yield_per=1000)):
        text = json.dumps(entry.details, ensure_ascii=False)
        if pattern.search(text) or pattern.search(entry.target):
            entry.details = json.loads(pattern.sub(ERASED, text))
            entry.target = pattern.sub(ERASED, entry.target)
            changed += 1
    return changed


def _erase_people(event: Event, attendees: list[Attendee], actor: str, reason: str) -> list[_Person]:
    from . import webhooks  # late: webhooks reads the scan log this module rewrites

    now = utcnow()
    people = [_person(a) for a in attendees]
    ids = [p.id for p in people]
    badge_ids = [p.badge_id for p in people if p.badge_id is not None]
    by_id = {p.id: p for p in people}
    # Raw codes go from every scan of the badge (any revision) or the person.
    db.session.execute(update(Scan).where(or_(Scan.attendee_id.in_(ids), Scan.badge_id.in_(badge_ids)))
                       .values(code=ERASED).execution_options(synchronize_session=False))
    for person in people:
        for needle in person.needles:
            for column in (Scan.note, Scan.actor):
                db.session.execute(
                    update(Scan).where(Scan.attendee_id == person.id, column.contains(needle))
                    .values({column: func.replace(column, needle, ERASED)})
                    .execution_options(synchronize_session=False))
    for alert in db.session.scalars(select(Alert).where(Alert.attendee_id.in_(ids))):
        person = by_id[alert.attendee_id]  # type: ignore[index]
        alert.message = _scrub_text(alert.message, person.needles)
    badges = list(db.session.scalars(select(Badge).where(Badge.id.in_(badge_ids))))
    for badge in badges:
        badge.status = "erased"
        badge.code = ""
        badge.sealed = ""
        badge.revoked_at = badge.revoked_at or now
        badge.revoke_reason = "erased"
    if badges:
        sync.stamp(badges)  # gates forget the record at their next sync
    webhooks.scrub_payloads(ids, [n for p in people for n in p.needles])
    for attendee in attendees:
        _blank(attendee, now)
    _scrub_audit(people)
    reason = _scrub_text(reason, [n for p in people for n in p.needles])
    if len(people) == 1:
        audit.record(actor, "attendee.erase", f"attendee:{ids[0]}", reason=reason)
    return people


def _purge_outbox(event: Event, people: list[_Person], outbox_dir: str | None) -> int:
    """Badge mails filed as ``badge-e<event>-a<attendee>-r<revision>@...eml``, and any
    other outbox file naming the person (a renamed domain, an old Message-ID scheme)."""
    if not outbox_dir or not Path(outbox_dir).is_dir():
        return 0
    prefixes = tuple(f"badge-e{event.id}-a{p.id}-r" for p in people)
    needles = [n.encode() for p in people for n in p.needles]
    removed = 0
    for path in Path(outbox_dir).glob("*.eml"):
        hit = path.name.startswith(prefixes)
        if not hit:
            data = path.read_bytes()
            hit = any(n in data for n in needles)
        if hit:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def erase(event: Event, attendee_id: int, actor: str, reason: str, outbox_dir: str | None) -> int:
    """Erase one person; returns their (kept, pseudonymous) badge id or 0."""
    if len(reason.strip()) < 3:
        raise ValidationFailed("say why (a reason of at least 3 characters)")

    def run() -> list[_Person]:
        return _erase_people(event, [find(event, attendee_id)], actor, reason)

    people = transactional(run)()
    _purge_outbox(event, people, outbox_dir)  # after the commit: the database is the truth
    return people[0].badge_id or 0


def retention_due(now: dt.datetime) -> list[Event]:
    events = db.session.scalars(
        select(Event).where(Event.retention_days.is_not(None), Event.erased_at.is_(None)))
    return [e for e in events
            if setup.today(e, now) > e.end_date + dt.timedelta(days=e.retention_days or 0)]


def erase_event(event: Event, actor: str, reason: str, outbox_dir: str | None) -> int:
    """Everyone of the event, in batches (each its own transaction, so a long run holds
    no lock for long and a crash resumes where it stopped); then the event is marked."""
    total = 0
    while True:
        def batch() -> list[_Person]:
            found = list(db.session.scalars(
                select(Attendee).where(Attendee.event_id == event.id, Attendee.erased_at.is_(None))
                .order_by(Attendee.id).limit(BATCH)))
            return _erase_people(event, found, actor, reason) if found else []

        people = transactional(batch)()
        if not people:
            break
        _purge_outbox(event, people, outbox_dir)
        total += len(people)

    def mark() -> None:
        current = db.session.get(Event, event.id)
        assert current is not None
        current.erased_at = utcnow()
        audit.record(actor, "event.retention_erase", f"event:{event.id}", erased=total,
                     reason=reason)

    transactional(mark)()
    return total


def run_retention(now: dt.datetime, outbox_dir: str | None) -> int:
    """Erase every event whose retention period has passed (the worker calls this)."""
    erased = 0
    for event in retention_due(now):
        days = event.retention_days
        erased += erase_event(event, "system", f"retention: {days} days after the event ended",
                              outbox_dir)
    return erased


def subject_export(event: Event, attendee_id: int) -> dict[str, Any]:
    """Everything held about one person (GDPR art. 15 / PIPL art. 45), as JSON."""
    from ...models import AccessLevel, Gate, Zone

    attendee = find(event, attendee_id)
    tz = setup.event_tz(event)
    badge = attendee.badge
    level = db.session.get(AccessLevel, attendee.access_level_id)
    scans = db.session.execute(
        select(Scan.scan_id, Scan.scanned_at, Gate.name, Zone.name, Scan.direction, Scan.verdict,
               Scan.reason, Scan.mode, Scan.note)
        .join(Gate, Gate.id == Scan.gate_id).join(Zone, Zone.id == Scan.zone_id)
        .where(Scan.attendee_id == attendee.id).order_by(Scan.scanned_at, Scan.id)).all()
    alerts = db.session.scalars(select(Alert).where(Alert.attendee_id == attendee.id))
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.target == f"attendee:{attendee.id}").order_by(AuditEntry.id))
    return {
        "generated_at": utcnow().astimezone(tz).isoformat(),
        "event": {"id": event.id, "name": event.name, "timezone": event.timezone},
        "attendee": {
            "id": attendee.id, "name": attendee.name, "email": attendee.email,
            "organization": attendee.organization, "country": attendee.country,
            "language": attendee.language, "external_id": attendee.external_id,
            "access_level": level.name if level else None,
            "days": [d.isoformat() for d in setup.offsets_to_dates(
                event, attendee.day_offsets if attendee.day_offsets is not None
                else (level.day_offsets if level else []))],
            "created_at": attendee.created_at.isoformat(),
            "deleted": attendee.deleted_at is not None,
            "mail": {"state": attendee.mail_state, "revision": attendee.mail_revision,
                     "sent_at": attendee.mail_sent_at.isoformat() if attendee.mail_sent_at else None},
        },
        "badge": None if badge is None else {
            "id": badge.id, "revision": badge.revision, "status": badge.status,
            "issued_at": badge.issued_at.isoformat(),
            "revoked_at": badge.revoked_at.isoformat() if badge.revoked_at else None,
        },
        "scans": [{"scan_id": s[0], "scanned_at": s[1].astimezone(tz).isoformat(), "gate": s[2],
                   "zone": s[3], "direction": s[4], "verdict": s[5], "reason": s[6],
                   "mode": s[7], "note": s[8]} for s in scans],
        "alerts": [{"kind": a.kind, "message": a.message, "created_at": a.created_at.isoformat()}
                   for a in alerts],
        "audit": [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action,
                   "details": e.details} for e in entries],
    }
