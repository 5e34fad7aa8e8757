"""Attendees, their badges and where they are."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .event import AccessLevel
from .types import UTCDateTime


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Attendee(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "attendees"
    __table_args__ = (
        UniqueConstraint("event_id", "email", name="uq_attendees_event_email"),
        UniqueConstraint("event_id", "external_id", name="uq_attendees_event_external_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    # Accent- and case-folded copies for search in any script (see services.text).
    search_text: Mapped[str] = mapped_column(String(700), index=True)
    email: Mapped[str] = mapped_column(String(320))
    organization: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    access_level_id: Mapped[int] = mapped_column(ForeignKey("access_levels.id"))
    # Day offsets overriding the level's days for this person; None = the level's.
    day_offsets: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Erased (GDPR/PIPL): personal fields blanked; the row stays so counts stay right.
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Badge email delivery: pending -> sending -> sent | failed | rejected.
    mail_state: Mapped[str] = mapped_column(String(16), default="pending")
    mail_revision: Mapped[int | None] = mapped_column(Integer)
    mail_attempts: Mapped[int] = mapped_column(Integer, default=0)
    mail_error: Mapped[str | None] = mapped_column(String(500))
    mail_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    access_level: Mapped[AccessLevel] = relationship(lazy="joined")
    badge: Mapped[Badge | None] = relationship(back_populates="attendee", uselist=False)


class Badge(db.Model):  # type: ignore[name-defined,misc]
    """One badge per attendee; a reissue bumps ``revision`` and revokes older codes."""

    __tablename__ = "badges"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendees.id"), unique=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | revoked
    key_id: Mapped[int] = mapped_column(Integer)
    zone_mask: Mapped[int] = mapped_column(BigInteger)
    day_mask: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(200))
    sealed: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str | None] = mapped_column(String(300))
    # Position in the sync feed; assigned under the sync lock (see services.sync).
    sync_version: Mapped[int] = mapped_column(BigInteger, index=True, default=0)

    attendee: Mapped[Attendee] = relationship(back_populates="badge")


class Presence(db.Model):  # type: ignore[name-defined,misc]
    """Is this person inside this zone? Only rows of the current event day count."""

    __tablename__ = "presence"
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendees.id"), primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), primary_key=True, index=True)
    inside: Mapped[bool] = mapped_column(Boolean, default=False)
    day: Mapped[dt.date] = mapped_column(Date)
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    gate_id: Mapped[int | None] = mapped_column(ForeignKey("gates.id"))
