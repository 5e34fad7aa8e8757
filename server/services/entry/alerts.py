"""Conflicts found when offline scans reach the server, for security to acknowledge."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from shared import Reason

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
    who = attendee.name if attendee else f"badge {scan.badge_id}"
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
