"""Reading the audit log: who did what, filtered; an attendee's own record (revokes with
their reasons, edits, reissues, overrides, and who looked the person up)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select

from ...extensions import db
from ...models import AuditEntry, Badge
from ..db import transactional
from . import audit

MAX_ROWS = 500


@dataclass
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    attendee_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: int = 200


def _targets(attendee_id: int) -> list[str]:
    # Badge actions are logged against the badge; the badge id is fixed per person.
    badge_id = db.session.scalar(select(Badge.id).where(Badge.attendee_id == attendee_id))
    return [f"attendee:{attendee_id}"] + ([f"badge:{badge_id}"] if badge_id else [])


def query(f: AuditFilter) -> list[AuditEntry]:
    q = select(AuditEntry)
    if f.actor:
        q = q.where(AuditEntry.actor == f.actor)
    if f.action:
        # "badge" matches badge.revoke, badge.issue...; a full name matches itself.
        q = q.where(or_(AuditEntry.action == f.action, AuditEntry.action.like(f"{f.action}.%")))
    if f.attendee_id is not None:
        q = q.where(AuditEntry.target.in_(_targets(f.attendee_id)))
    if f.since is not None:
        q = q.where(AuditEntry.at >= f.since)
    if f.until is not None:
        q = q.where(AuditEntry.at <= f.until)
    q = q.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(min(f.limit, MAX_ROWS))
    return list(db.session.scalars(q))


@transactional
def looked_up(actor: str, role: str, attendee_id: int, how: str) -> None:
    """Security staff looked a person up: the guests are ministers and executives, so
    who looked at whom is kept (admins' lookups too: they see the same data)."""
    if role in ("security", "admin"):
        audit.record(actor, "attendee.lookup", f"attendee:{attendee_id}", how=how)


@transactional
def searched(actor: str, role: str, q: str, found: int) -> None:
    if role in ("security", "admin") and q:
        audit.record(actor, "attendee.search", "", q=q[:200], found=found)
