"""Who may do what: devices and API tokens, dashboard users, signing keys, the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .event import Gate
from .people import utcnow
from .types import UTCDateTime

ROLES = ("admin", "security", "gate")


class ApiToken(db.Model):  # type: ignore[name-defined,misc]
    """A bearer token; with role ``gate`` it is a gate device and reports heartbeats."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(10))
    gate_id: Mapped[int | None] = mapped_column(ForeignKey("gates.id"))
    # A gate device belongs to one event (its gate's); users and other tokens are
    # server-wide. None on a gate device = the default event (tokens made before events).
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    queued_scans: Mapped[int | None] = mapped_column(Integer)
    last_sync_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    clock_skew_s: Mapped[float | None] = mapped_column(Float)
    mode: Mapped[str | None] = mapped_column(String(10))
    reported_gate_id: Mapped[int | None] = mapped_column(ForeignKey("gates.id"))
    # The device's own Ed25519 key for signing LAN messages to its peer gates (base64).
    lan_public_key: Mapped[str | None] = mapped_column(String(44))

    gate: Mapped[Gate | None] = relationship(foreign_keys=[gate_id], lazy="joined")


class User(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # A dashboard session is valid only while its number is the user's current one:
    # signing out and a password change bump it, which ends the sessions server-side.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SigningKeyRecord(db.Model):  # type: ignore[name-defined,misc]
    """An Ed25519 key of one event; the newest unretired key signs new badges."""

    __tablename__ = "signing_keys"
    __table_args__ = (UniqueConstraint("event_id", "key_id", name="uq_signing_keys_event_kid"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    key_id: Mapped[int] = mapped_column(Integer)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    private_key: Mapped[bytes] = mapped_column(LargeBinary)
    encrypted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SyncState(db.Model):  # type: ignore[name-defined,misc]
    """One row whose lock orders sync versions by commit (see services.sync)."""

    __tablename__ = "sync_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
