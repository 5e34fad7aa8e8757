"""``GET /audit``: the audit log for admins, filtered by actor, action, attendee, time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint
from pydantic import BaseModel, Field

from ..services import audit_log
from .auth import Principal
from .registry import ADMIN, endpoint

bp = Blueprint("audit", __name__)


class AuditQuery(BaseModel):
    actor: str | None = Field(default=None, max_length=320)
    action: str | None = Field(default=None, max_length=60)
    attendee: int | None = Field(default=None, ge=1, le=2**31 - 1)
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: int = Field(default=200, ge=1, le=audit_log.MAX_ROWS)


class AuditOut(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any]


class AuditList(BaseModel):
    entries: list[AuditOut]


@endpoint(bp, "/audit", "GET", roles=ADMIN, query=AuditQuery, response=AuditList,
          summary="Who did what: imports, edits, revokes, reissues, overrides, keys, users, "
          "devices, lookups of people")
def get_audit(who: Principal, query: AuditQuery) -> AuditList:
    rows = audit_log.query(audit_log.AuditFilter(
        actor=query.actor, action=query.action, attendee_id=query.attendee,
        since=query.since, until=query.until, limit=query.limit))
    return AuditList(entries=[AuditOut(id=r.id, at=r.at, actor=r.actor, action=r.action,
                                       target=r.target, details=r.details or {}) for r in rows])
