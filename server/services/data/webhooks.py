"""Webhooks: subscriptions, deliveries derived from the scan log and alerts, signed POSTs.

Nothing happens on the scan path: the worker reads the scan log and the alerts with a
cursor and turns new rows into deliveries. The trap is the same as the sync feed's: an
id is not commit order on PostgreSQL, so a transaction that took id 7 may commit after
8 was read. The cursor therefore only moves over contiguous ids; at a gap it waits
until the row after the gap is ``GAP_GRACE`` old (a rolled-back scan leaves a gap for
ever). Rows past a gap are derived anyway; deliveries are unique per (webhook, source),
so reading them again at the next tick adds nothing.

Deliveries carry ``X-Admit-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>``
and are retried with exponential back-off for a day (``webhook_delivery``).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from shared import format_badge_number

from ...errors import NotFound
from ...extensions import db
from ...models import (
    AccessLevel,
    Alert,
    Attendee,
    Event,
    Gate,
    Scan,
    Webhook,
    WebhookDelivery,
    WorkerCursor,
    Zone,
    utcnow,
)
from ..accounts import audit
from ..db import transactional

EVENT_TYPES = ("scan.admitted", "scan.denied", "alert.raised")
GAP_GRACE = dt.timedelta(seconds=30)
PAGE = 1000
_DERIVED_MODES = ("online", "offline", "override", "lan", "degraded")


# --- subscriptions ----------------------------------------------------------------------

@transactional
def create(event: Event, url: str, events: list[str], actor: str) -> Webhook:
    hook = Webhook(event_id=event.id, url=url, events=sorted(set(events)),
                   secret="whsec_" + secrets.token_urlsafe(32), created_by=actor)
    db.session.add(hook)
    db.session.flush()
    audit.record(actor, "webhook.create", f"webhook:{hook.id}", url=url, events=hook.events)
    return hook


def active(event: Event) -> list[Webhook]:
    return list(db.session.scalars(select(Webhook).where(
        Webhook.event_id == event.id, Webhook.deleted_at.is_(None)).order_by(Webhook.id)))


@transactional
def delete(event: Event, webhook_id: int, actor: str) -> None:
    hook = db.session.get(Webhook, webhook_id)
    if hook is None or hook.event_id != event.id or hook.deleted_at is not None:
        raise NotFound(f"no webhook {webhook_id}")
    hook.deleted_at = utcnow()
    audit.record(actor, "webhook.delete", f"webhook:{hook.id}")


def stats(hook_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per webhook: deliveries by status and the newest attempt's outcome."""
    out: dict[int, dict[str, Any]] = {i: {"pending": 0, "delivered": 0, "failed": 0} for i in hook_ids}
    for hook_id, status, count in db.session.execute(
            select(WebhookDelivery.webhook_id, WebhookDelivery.status, func.count())
            .where(WebhookDelivery.webhook_id.in_(hook_ids))
            .group_by(WebhookDelivery.webhook_id, WebhookDelivery.status)):
        out[hook_id][status] = int(count)
    for hook_id in hook_ids:
        last = db.session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook_id,
                                          WebhookDelivery.last_attempt_at.is_not(None))
            .order_by(WebhookDelivery.last_attempt_at.desc()).limit(1)).first()
        out[hook_id]["last"] = None if last is None else {
            "event_type": last.event_type, "status": last.status, "attempts": last.attempts,
            "status_code": last.last_status_code, "error": last.last_error,
            "at": last.last_attempt_at.isoformat() if last.last_attempt_at else None,
        }
    return out


# --- deriving deliveries from the log ----------------------------------------------------

def _cursor(name: str, start: int) -> WorkerCursor:
    # First run: deliveries start from now, not from the event's whole history. Every
    # worker process ticks: two may create the row at once, and one insert wins.
    dialect = db.session.get_bind().dialect.name
    create = (pg_insert if dialect == "postgresql" else sqlite_insert)(WorkerCursor.__table__)
    db.session.execute(create.values(name=name, value=start, details={})
                       .on_conflict_do_nothing(index_elements=["name"]))
    return db.session.scalars(
        select(WorkerCursor).where(WorkerCursor.name == name).with_for_update()).one()


def _insert_deliveries(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(WebhookDelivery.__table__)
    db.session.execute(stmt.values(rows).on_conflict_do_nothing(
        index_elements=["webhook_id", "source"]))


def _scan_payload(r: Any) -> dict[str, Any]:
    return {
        "scan_id": r.scan_id, "scanned_at": r.scanned_at.isoformat(), "gate": r.gate,
        "zone": r.zone, "direction": r.direction, "verdict": r.verdict, "reason": r.reason,
        "mode": r.mode, "badge_number": format_badge_number(r.badge_id) if r.badge_id else None,
        "attendee": None if r.attendee_id is None else {
            "id": r.attendee_id, "name": r.name, "organization": r.organization,
            "access_level": r.level},
    }


def _advance(cursor: WorkerCursor, rows: Iterable[Any], stamp: str, now: dt.datetime) -> None:
    expected = cursor.value + 1
    holding = False
    for row in rows:
        if row.id != expected:  # ids missing: not committed yet, or rolled back
            moment = getattr(row, stamp)
            moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
            holding = holding or now - moment < GAP_GRACE
        if not holding:
            cursor.value = row.id
        expected = row.id + 1


def _derive_scans(event: Event, hooks: list[Webhook], now: dt.datetime) -> int:
    top = db.session.scalar(select(func.max(Scan.id))) or 0
    cursor = _cursor(f"webhooks.scans.{event.id}", top)
    wanted = [h for h in hooks if {"scan.admitted", "scan.denied"} & set(h.events)]
    if not wanted:
        cursor.value = max(cursor.value, top)
        return 0
    rows = db.session.execute(
        select(Scan.id, Scan.scan_id, Scan.scanned_at, Scan.received_at, Scan.direction,
               Scan.verdict, Scan.reason, Scan.mode, Scan.badge_id, Scan.attendee_id,
               Gate.name.label("gate"), Zone.name.label("zone"), Attendee.name.label("name"),
               Attendee.organization, AccessLevel.name.label("level"), Scan.event_id)
        .join(Gate, Gate.id == Scan.gate_id).join(Zone, Zone.id == Scan.zone_id)
        .outerjoin(Attendee, Attendee.id == Scan.attendee_id)
        .outerjoin(AccessLevel, AccessLevel.id == Attendee.access_level_id)
        .where(Scan.id > cursor.value).order_by(Scan.id).limit(PAGE)).all()
    new: list[dict[str, Any]] = []
    for r in rows:
        if r.event_id != event.id or r.mode not in _DERIVED_MODES:
            continue
        kind = "scan.admitted" if r.verdict == "admit" else "scan.denied"
        body = json.dumps({"type": kind, "event_id": event.id, "data": _scan_payload(r)},
                          ensure_ascii=False)
        new += [{"webhook_id": h.id, "event_type": kind, "source": f"scan:{r.id}",
                 "attendee_id": r.attendee_id, "payload": body, "status": "pending",
                 "attempts": 0, "next_attempt_at": now, "created_at": now}
                for h in wanted if kind in h.events]
    _insert_deliveries(new)
    _advance(cursor, rows, "received_at", now)
    return len(new)


def _derive_alerts(event: Event, hooks: list[Webhook], now: dt.datetime) -> int:
    top = db.session.scalar(select(func.max(Alert.id))) or 0
    cursor = _cursor(f"webhooks.alerts.{event.id}", top)
    wanted = [h for h in hooks if "alert.raised" in h.events]
    if not wanted:
        cursor.value = max(cursor.value, top)
        return 0
    rows = db.session.scalars(select(Alert).where(Alert.id > cursor.value)
                              .order_by(Alert.id).limit(PAGE)).all()
    new: list[dict[str, Any]] = []
    for a in rows:
        if a.event_id != event.id:
            continue
        body = json.dumps({"type": "alert.raised", "event_id": event.id, "data": {
            "id": a.id, "kind": a.kind, "message": a.message, "scan_id": a.scan_id,
            "attendee_id": a.attendee_id, "created_at": a.created_at.isoformat(),
            "badge_number": format_badge_number(a.badge_id) if a.badge_id else None,
        }}, ensure_ascii=False)
        new += [{"webhook_id": h.id, "event_type": "alert.raised", "source": f"alert:{a.id}",
                 "attendee_id": a.attendee_id, "payload": body, "status": "pending",
                 "attempts": 0, "next_attempt_at": now, "created_at": now} for h in wanted]
    _insert_deliveries(new)
    _advance(cursor, rows, "created_at", now)
    return len(new)


def derive(now: dt.datetime) -> int:
    """New deliveries from the log since the cursors, one transaction per event."""
    made = 0
    for event in db.session.scalars(select(Event)).all():
        def run(event: Event = event) -> int:
            hooks = active(event)
            return _derive_scans(event, hooks, now) + _derive_alerts(event, hooks, now)

        made += transactional(run)()
    return made


def run_due(now: dt.datetime, backoff_s: float = 30.0) -> int:
    """The worker's job: derive, then deliver what is due. Returns deliveries sent."""
    from .webhook_delivery import deliver_due

    derive(now)
    return deliver_due(now, backoff_s)


# --- erasure ------------------------------------------------------------------------------

def scrub_payloads(attendee_ids: list[int], needles: Iterable[str] = ()) -> int:
    """Stored payloads naming these people keep only the pseudonymous ids."""
    texts = sorted(set(needles), key=len, reverse=True)
    changed = 0
    for delivery in db.session.scalars(select(WebhookDelivery).where(
            WebhookDelivery.attendee_id.in_(attendee_ids))):
        body = json.loads(delivery.payload)
        data = body.get("data", {})
        if isinstance(data.get("attendee"), dict):
            data["attendee"] = {"id": data["attendee"].get("id"), "erased": True}
        if isinstance(data.get("message"), str):
            for text in texts:
                data["message"] = data["message"].replace(text, "[erased]")
        delivery.payload = json.dumps(body, ensure_ascii=False)
        changed += 1
    return changed
