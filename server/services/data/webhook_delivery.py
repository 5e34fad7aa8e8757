"""Sending webhook deliveries: signed, claimed before sending, retried with back-off.

A delivery is claimed with a conditional UPDATE (pushing ``next_attempt_at`` out by a
lease) and committed before the POST, so two worker threads or processes never send the
same attempt. The HTTP call runs outside any transaction. A 2xx is delivered; anything
else is retried after ``backoff_s * 2**(attempts-1)`` (capped at an hour) until a day
after the delivery was made, then it is ``failed``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any, cast

import requests
from sqlalchemy import CursorResult, select, update

from ...extensions import db
from ...models import Webhook, WebhookDelivery
from ..db import transactional

GIVE_UP_AFTER = dt.timedelta(days=1)
MAX_BACKOFF = dt.timedelta(hours=1)
LEASE = dt.timedelta(seconds=60)
TIMEOUT_S = 10.0
BATCH = 50


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def _claim(delivery_id: int, now: dt.datetime) -> tuple[str, str, str, str] | None:
    claimed = cast(CursorResult[Any], db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
               WebhookDelivery.next_attempt_at <= now)
        .values(next_attempt_at=now + LEASE)
        .execution_options(synchronize_session=False))).rowcount
    if not claimed:
        return None
    row = db.session.execute(
        select(Webhook.url, Webhook.secret, WebhookDelivery.payload, WebhookDelivery.event_type)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(WebhookDelivery.id == delivery_id, Webhook.deleted_at.is_(None))).first()
    return None if row is None else (row[0], row[1], row[2], row[3])


def _send(url: str, secret: str, payload: str, event_type: str, delivery_id: int,
          now: dt.datetime) -> tuple[int | None, str | None]:
    body = payload.encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "Admit-Webhooks/1",
               "X-Admit-Event": event_type, "X-Admit-Delivery": str(delivery_id),
               "X-Admit-Signature": signature(secret, int(now.timestamp()), body)}
    try:
        resp = requests.post(url, data=body, headers=headers, timeout=TIMEOUT_S,
                             allow_redirects=False)
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    return resp.status_code, None if 200 <= resp.status_code < 300 else f"HTTP {resp.status_code}"


def _record(delivery_id: int, code: int | None, error: str | None, now: dt.datetime,
            backoff_s: float) -> None:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return
    delivery.attempts += 1
    delivery.last_status_code = code
    delivery.last_error = error
    delivery.last_attempt_at = now
    if error is None:
        delivery.status = "delivered"
        delivery.delivered_at = now
        return
    created = delivery.created_at
    delay = min(MAX_BACKOFF, dt.timedelta(seconds=backoff_s * 2 ** (delivery.attempts - 1)))
    if now + delay - created > GIVE_UP_AFTER:
        delivery.status = "failed"
    else:
        delivery.next_attempt_at = now + delay


def deliver_due(now: dt.datetime, backoff_s: float = 30.0) -> int:
    due = list(db.session.scalars(
        select(WebhookDelivery.id).where(WebhookDelivery.status == "pending",
                                         WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(BATCH)))
    db.session.rollback()  # end the read: each claim below is its own transaction
    sent = 0
    for delivery_id in due:
        target = transactional(_claim)(delivery_id, now)
        if target is None:
            continue  # another worker has it, or the webhook was deleted
        url, secret, payload, event_type = target
        code, error = _send(url, secret, payload, event_type, delivery_id, now)
        transactional(_record)(delivery_id, code, error, dt.datetime.now(dt.UTC), backoff_s)
        sent += error is None
    return sent
