"""Conflicts found when offline scans reach the server, for security to acknowledge."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from shared import Reason, format_badge_number

from ...errors import NotFound
from ...extensions import db
from ...models import Alert, Attendee, Event, Scan, utcnow

if TYPE_CHECKING:
    from .checkin_facts import Holder
from ..accounts import audit
from ..db import transactional

_KINDS = {
    Reason.REVOKED: "admitted_after_revocation",
    Reason.ALREADY_INSIDE: "double_admit",
}
_MESSAGES = {
    "admitted_after_revocation": "admitted offline after the badge was revoked",
    "double_admit": "admitted offline while already inside (admitted at another gate)",
    "offline_disagrees": "admitted offline; the server would have denied",
}


def conflict_kind(server_reason: Reason) -> str:
    return _KINDS.get(server_reason, "offline_disagrees")


def raise_for(event: Event, scan: Scan, attendee: Holder | Attendee | None) -> Alert:
    # The badge number, not the name: the message is stored text, and a name in it would
    # outlive the attendee's deletion. Security opens the person from attendee_id.
    who = f"badge {format_badge_number(scan.badge_id)}" if scan.badge_id else "unknown badge"
    kind = scan.conflict or "offline_disagrees"
    alert = Alert(
        event_id=event.id,
        kind=kind,
        scan_id=scan.scan_id,
        attendee_id=attendee.id if attendee else None,
        badge_id=scan.badge_id,
        message=f"{who}: {_MESSAGES.get(kind, kind)} (server: {scan.server_reason})",
    )
    if kind == "double_admit" and scan.attendee_id is not None:
        from .alert_words import double_admit

        alert.message = f"{who}: admitted twice while offline, {double_admit(scan)}"[:500]
    db.session.add(alert)
    return alert


def list_alerts(event: Event, include_acknowledged: bool = False) -> list[Alert]:
    query = select(Alert).where(Alert.event_id == event.id)
    if not include_acknowledged:
        query = query.where(Alert.acknowledged_at.is_(None))
    return list(db.session.scalars(query.order_by(Alert.created_at.desc(), Alert.id.desc())))


@transactional
def acknowledge(event: Event, alert_id: int, *, actor: str, note: str = "") -> Alert:
    alert = db.session.get(Alert, alert_id)
    if alert is None or alert.event_id != event.id:
        raise NotFound(f"no alert {alert_id}")
    if alert.acknowledged_at is None:
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by = actor
        audit.record(actor, "alert.acknowledge", f"alert:{alert.id}", note=note)
    return alert


def holder_names(items: list[Alert]) -> dict[int, str]:
    """Names of the people alerts are about, for staff pages; a deleted attendee has none
    (the stored message never carries a name, see raise_for)."""
    ids = {a.attendee_id for a in items if a.attendee_id is not None}
    if not ids:
        return {}
    rows = db.session.execute(select(Attendee.id, Attendee.name).where(
        Attendee.id.in_(ids), Attendee.deleted_at.is_(None))).all()
    return {attendee_id: name for attendee_id, name in rows}
