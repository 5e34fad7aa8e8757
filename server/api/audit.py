"""``GET /audit``: the audit log for admins, filtered by actor, action, attendee, time."""

from __future__ import annotations

from flask import Blueprint

from ..access import ADMIN
from ..services.accounts import audit_log
from .auth import Principal
from .registry import endpoint
from .schemas import AuditList, AuditOut, AuditQuery

bp = Blueprint("audit", __name__)


@endpoint(bp, "/audit", "GET", roles=ADMIN, query=AuditQuery, response=AuditList,
          summary="Who did what: imports, edits, revokes, reissues, overrides, keys, users, "
          "devices, lookups of people")
def get_audit(who: Principal, query: AuditQuery) -> AuditList:
    rows = audit_log.query(audit_log.AuditFilter(
        actor=query.actor, action=query.action, attendee_id=query.attendee,
        since=query.since, until=query.until, limit=query.limit))
    return AuditList(entries=[AuditOut(id=r.id, at=r.at, actor=r.actor, action=r.action,
                                       target=r.target, details=r.details or {}) for r in rows])
