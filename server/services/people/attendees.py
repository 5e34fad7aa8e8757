"""Attendees: create, edit, delete, search; access changes reissue the badge."""

from __future__ import annotations

import contextlib
import datetime as dt

from sqlalchemy import and_, false, or_, select

from shared import MAX_ID, BadBadgeNumber, parse_badge_number
from shared.schemas import AttendeeIn, AttendeePatch

from ...errors import Conflict, NotFound
from ...extensions import db
from ...models import Attendee, Badge, Event, utcnow
from ..accounts import audit
from ..db import transactional
from ..event import setup
from ..issuing import badges
from .text import pinyin, search_text, words


def get(event: Event, attendee_id: int) -> Attendee:
    attendee = db.session.get(Attendee, attendee_id) if 0 < attendee_id <= MAX_ID else None
    if attendee is None or attendee.event_id != event.id or attendee.deleted_at is not None:
        raise NotFound(f"no attendee {attendee_id}")
    return attendee


def find_by_email(event: Event, email: str) -> Attendee | None:
    return db.session.scalars(
        select(Attendee).where(Attendee.event_id == event.id, Attendee.email == email.lower())
    ).first()


def find_by_external_id(event: Event, external_id: str) -> Attendee | None:
    return db.session.scalars(
        select(Attendee).where(Attendee.event_id == event.id, Attendee.external_id == external_id)
    ).first()


def _apply(event: Event, attendee: Attendee, data: AttendeeIn | AttendeePatch) -> bool:
    """Copy fields; True when zones or days changed (the badge must be reissued)."""
    access_changed = False
    fields = data.model_dump(exclude_unset=True)
    if "access_level" in fields and fields["access_level"] is not None:
        level = setup.level_by_name(event, fields["access_level"])
        if attendee.access_level_id != level.id:
            access_changed = attendee.access_level_id is not None
            attendee.access_level_id = level.id
            attendee.access_level = level
    if "days" in fields:
        offsets = None if fields["days"] is None else setup.dates_to_offsets(event, fields["days"])
        if offsets != attendee.day_offsets:
            access_changed = True
            attendee.day_offsets = offsets
    for name in ("name", "organization", "language", "external_id"):
        if name in fields and fields[name] is not None:
            setattr(attendee, name, fields[name].strip() if isinstance(fields[name], str) else fields[name])
    if fields.get("country") is not None:
        attendee.country = fields["country"].upper()
    if fields.get("email") is not None:
        attendee.email = str(fields["email"]).lower()
    attendee.search_text = search_text(attendee.name, attendee.organization, attendee.email)
    return access_changed


@transactional
def create(event: Event, data: AttendeeIn, *, actor: str) -> Attendee:
    if find_by_email(event, str(data.email)):
        raise Conflict(f"an attendee with email {data.email} exists already", code="duplicate_email")
    if data.external_id and find_by_external_id(event, data.external_id):
        raise Conflict(f"external id {data.external_id} exists already", code="duplicate_external_id")
    attendee = Attendee(event_id=event.id, access_level_id=None)
    _apply(event, attendee, data)
    db.session.add(attendee)
    db.session.flush()
    audit.record(actor, "attendee.create", f"attendee:{attendee.id}")
    return attendee


@transactional
def update(event: Event, attendee: Attendee, data: AttendeePatch | AttendeeIn, *,
           actor: str) -> Attendee:
    if data.email is not None:
        other = find_by_email(event, str(data.email))
        if other is not None and other.id != attendee.id:
            raise Conflict(f"an attendee with email {data.email} exists already", code="duplicate_email")
    access_changed = _apply(event, attendee, data)
    db.session.flush()
    if attendee.badge is not None:
        if access_changed:
            # New zones or days must reach offline gates: a new revision revokes the old.
            badges.issue(event, [attendee], actor=actor, reissue=True)
        else:
            badges.reseal(event, attendee)
    audit.record(actor, "attendee.update", f"attendee:{attendee.id}",
                 fields=sorted(data.model_dump(exclude_unset=True)))
    return attendee


@transactional
def delete(event: Event, attendee: Attendee, *, actor: str) -> None:
    """Soft delete: the scan log keeps pointing at the person; the badge is revoked."""
    if attendee.badge is not None:
        badges.revoke(event, attendee.badge, actor=actor, reason="attendee deleted")
    attendee.deleted_at = utcnow()
    attendee.email = f"deleted-{attendee.id}@invalid"
    attendee.external_id = None
    audit.record(actor, "attendee.delete", f"attendee:{attendee.id}")


SEARCH_COUNT_CAP = 1000  # a search reports at most this many matches, then "1000+" (1001)


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(event: Event, q: str, limit: int = 50, offset: int = 0) -> tuple[list[Attendee], int]:
    """Name, organization or email in any script, accents and case ignored; a badge
    number or code finds its holder."""
    base = select(Attendee).where(Attendee.event_id == event.id, Attendee.deleted_at.is_(None))
    q = q.strip()
    if q:
        conditions = []
        with contextlib.suppress(BadBadgeNumber):
            number = parse_badge_number(q)
            if number <= MAX_ID:
                conditions.append(Attendee.badge.has(Badge.id == number))
        found = badges.by_code_or_number(event, q) if len(q) > 40 else None
        if found is not None:
            conditions.append(Attendee.id == found.attendee_id)
        # Every word somewhere, in any order (see services.text); a trigram index
        # answers these substring matches on PostgreSQL.
        likes = []
        for word in words(q):
            likes.append(Attendee.search_text.like(f"%{_escape_like(word)}%", escape="\\"))
            spoken = pinyin(word)
            if spoken:
                # One or two Chinese characters make no trigram; their pinyin does, so
                # the index narrows first and the characters themselves filter.
                likes.append(Attendee.search_text.like(f"%{_escape_like(spoken)}%", escape="\\"))
        if likes:
            conditions.append(and_(*likes))
        base = base.where(or_(*conditions) if conditions else false())
    # At most SEARCH_COUNT_CAP + 1 matches are read, in no order (the trigram index
    # answers that without touching every match), then sorted by name here: a word in
    # every tenth record ("siemens") would otherwise read and sort all those rows on
    # every keystroke. Past the cap staff narrow down; the total says 1001 ("1000+").
    matches = db.session.execute(
        base.with_only_columns(Attendee.id, Attendee.name).limit(SEARCH_COUNT_CAP + 1)).all()
    page = [i for _, i in sorted((name, i) for i, name in matches)][offset:offset + limit]
    by_id = {a.id: a for a in db.session.scalars(select(Attendee).where(Attendee.id.in_(page)))}
    return [by_id[i] for i in page], len(matches)


def days_of(event: Event, attendee: Attendee) -> list[dt.date]:
    return setup.offsets_to_dates(event, badges.effective_offsets(attendee))
