"""Alerts: conflicts found when offline scans arrive, for security to acknowledge."""

from __future__ import annotations

from flask import Blueprint

from ..access import STAFF
from ..services.entry import alerts
from ..services.event import setup
from .auth import Principal
from .registry import endpoint
from .schemas import AckIn, AlertList, AlertOut, AlertQuery

bp = Blueprint("alerts", __name__)


@endpoint(bp, "/alerts", "GET", roles=STAFF, query=AlertQuery, response=AlertList,
          summary="Conflicts from offline scans")
def list_alerts(who: Principal, query: AlertQuery) -> AlertList:
    event = setup.current_event()
    return AlertList(alerts=[
        AlertOut(id=a.id, kind=a.kind, message=a.message, scan_id=a.scan_id,
                 attendee_id=a.attendee_id, badge_id=a.badge_id,
                 created_at=a.created_at.isoformat(), acknowledged_by=a.acknowledged_by)
        for a in alerts.list_alerts(event, include_acknowledged=query.all)
    ])


@endpoint(bp, "/alerts/<int:alert_id>/ack", "POST", roles=STAFF, body=AckIn, response=AlertList,
          summary="Acknowledge an alert (recorded with who)")
def ack(who: Principal, alert_id: int, body: AckIn) -> AlertList:
    event = setup.current_event()
    alerts.acknowledge(event, alert_id, actor=who.name, note=body.note)
    return list_alerts.__wrapped__(who, AlertQuery())  # type: ignore[attr-defined,no-any-return]
