"""Bearer tokens: gate devices and API clients. Shown once, stored as a hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, literal_column, select
from sqlalchemy.dialects import postgresql

from shared.schemas import HeartbeatIn

from ...errors import NotFound, Unauthorized, ValidationFailed
from ...extensions import db
from ...models import ROLES, ApiToken, CacheVersion, Event, Gate, utcnow
from ..db import transactional
from ..entry import hotsql, hotsqlite
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


@dataclass(frozen=True)
class Device:
    """A bearer token's device as a request sees it: plain values, read by one statement
    (every scan authenticates, so no ORM entity is loaded for it). Services that change
    the device load its row themselves (``row``)."""

    id: int
    name: str
    role: str
    gate_id: int | None
    event_id: int | None  # its own event, else its gate's; None = the default event
    last_sync_at: dt.datetime | None
    setup_version: int  # services.entry.hotcache's version, read in the same statement

    def row(self) -> ApiToken:
        record = db.session.get(ApiToken, self.id)
        if record is None:
            raise Unauthorized("unknown or revoked token", code="bad_token")
        return record


_TOKENS, _GATES, _VERSIONS = ApiToken.__table__, Gate.__table__, CacheVersion.__table__
_AUTHENTICATE = (
    select(_TOKENS.c.id, _TOKENS.c.name, _TOKENS.c.role, _TOKENS.c.gate_id,
           func.coalesce(_TOKENS.c.event_id, _GATES.c.event_id).label("event_id"),
           _TOKENS.c.revoked_at, _TOKENS.c.last_sync_at,
           # hotcache's "setup" version: the scan path's setup check, in this statement
           select(_VERSIONS.c.version).where(_VERSIONS.c.name == literal_column("'setup'"))
           .scalar_subquery().label("setup_version"))
    .select_from(_TOKENS.outerjoin(_GATES, _GATES.c.id == _TOKENS.c.gate_id))
    .where(_TOKENS.c.token_hash == bindparam("token_hash"))
)  # built once: it runs on every device request


_AUTHENTICATE_PG = str(_AUTHENTICATE.compile(dialect=postgresql.psycopg.dialect()))


def token_hash(token: str) -> str:
    return _hash(token)


def authenticate(token: str) -> Device:
    params = {"token_hash": _hash(token)}
    if hotsql.on_postgres():  # every request of every gate
        row = hotsql.fetch(_AUTHENTICATE_PG, params)
    elif (lane := hotsql.sqlite_lane()) is not None:
        row = hotsqlite.run(lane, _AUTHENTICATE, params)
    else:
        row = db.session.connection().execute(_AUTHENTICATE, params).first()
    return device_of(row)


def device_of(row: Any) -> Device:
    """The device of an authentication row (``_AUTHENTICATE``'s columns), or
    Unauthorized: no such token, or a revoked one."""
    if row is None:
        raise Unauthorized("unknown or revoked token", code="bad_token")
    device_id, name, role, gate_id, event_id, revoked_at, last_sync_at, version = row
    if revoked_at is not None:
        raise Unauthorized("unknown or revoked token", code="bad_token")
    return Device(device_id, name, role, gate_id, event_id, hotsql.utc(last_sync_at),
                  int(version or 0))


def authenticate_with_facts(token: str, facts: tuple[int, int, dt.date, int]) -> Device:
    """The scan lane's first round trip when it knows the token's event already: the
    token and a scan's facts (hotsql.token_and_facts) in one statement."""
    return device_of(hotsql.token_and_facts(_AUTHENTICATE_PG, _hash(token), facts))


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
def heartbeat(event: Event, caller: Device, beat: HeartbeatIn) -> float:
    device = caller.row()
    now = utcnow()
    clock = beat.clock if beat.clock.tzinfo else beat.clock.replace(tzinfo=dt.UTC)
    device.last_seen_at = now
    device.queued_scans = beat.queued_scans
    # The gate's own report, on its clock: never later than now, as it floors the times
    # of its offline scans (services.entry.scantime).
    synced = beat.last_sync_at
    if synced is not None and synced.tzinfo is None:
        synced = synced.replace(tzinfo=dt.UTC)
    device.last_sync_at = min(synced, now) if synced else None
    device.clock_skew_s = (clock - now).total_seconds()
    device.mode = beat.mode
    if beat.lan_public_key:
        device.lan_public_key = beat.lan_public_key
    if beat.gate:
        device.reported_gate_id = setup.resolve_gate(event, beat.gate).id
    return device.clock_skew_s


@transactional
def mark_synced(device: Device) -> None:
    """The device has read the sync feed to its end."""
    device.row().last_sync_at = utcnow()
