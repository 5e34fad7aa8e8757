"""Bearer tokens: gate devices and API clients. Shown once, stored as a hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select

from shared.schemas import HeartbeatIn

from ...errors import NotFound, Unauthorized, ValidationFailed
from ...extensions import db
from ...models import ROLES, ApiToken, Event, utcnow
from ..db import transactional
from ..event import setup
from . import audit

CLOCK_WARNING_S = 60.0


def _hash(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(token.encode()).hexdigest()


@transactional
def create(event: Event, name: str, role: str, gate_ref: str | None, *,
           actor: str) -> tuple[ApiToken, str]:
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES)}")
    gate_id = setup.resolve_gate(event, gate_ref).id if gate_ref else None
    if gate_id is not None and role != "gate":
        raise ValidationFailed("only gate devices are bound to a gate")
    token = f"adm_{role[0]}_{secrets.token_urlsafe(32)}"
    # A gate device belongs to the event it was made in; other tokens are server-wide.
    record = ApiToken(name=name, role=role, gate_id=gate_id, token_hash=_hash(token),
                      event_id=event.id if role == "gate" else None)
    db.session.add(record)
    db.session.flush()
    audit.record(actor, "token.create", f"token:{record.id}", role=role, name=name)
    return record, token


def authenticate(token: str) -> ApiToken:
    record = db.session.scalars(select(ApiToken).where(ApiToken.token_hash == _hash(token))).first()
    if record is None or record.revoked_at is not None:
        raise Unauthorized("unknown or revoked token", code="bad_token")
    return record


def get(device_id: int) -> ApiToken:
    record = db.session.get(ApiToken, device_id)
    if record is None:
        raise NotFound(f"no device {device_id}")
    return record


def list_all() -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.id)))


@transactional
def revoke(device: ApiToken, *, actor: str) -> ApiToken:
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        audit.record(actor, "token.revoke", f"token:{device.id}")
    return device


@transactional
def heartbeat(event: Event, device: ApiToken, beat: HeartbeatIn) -> float:
    now = utcnow()
    clock = beat.clock if beat.clock.tzinfo else beat.clock.replace(tzinfo=dt.UTC)
    device.last_seen_at = now
    device.queued_scans = beat.queued_scans
    device.last_sync_at = beat.last_sync_at
    device.clock_skew_s = (clock - now).total_seconds()
    device.mode = beat.mode
    if beat.gate:
        device.reported_gate_id = setup.resolve_gate(event, beat.gate).id
    return device.clock_skew_s


@transactional
def mark_synced(device: ApiToken) -> None:
    """The device has read the sync feed to its end."""
    device.last_sync_at = utcnow()
