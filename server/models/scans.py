"""The append-only scan log and the alerts raised from it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .people import utcnow
from .types import UTCDateTime


class Scan(db.Model):  # type: ignore[name-defined,misc]
    """Every attempt, admitted or denied. Rows are only ever inserted.

    ``verdict``/``reason`` are what the gate showed (for an offline scan, its own
    decision, which stands); ``server_reason`` is the server's evaluation beside it.
    """

    __tablename__ = "scans"
    __table_args__ = (
        Index("ix_scans_attendee_time", "attendee_id", "scanned_at"),
        Index("ix_scans_gate_time", "gate_id", "scanned_at"),
        Index("ix_scans_event_time", "event_id", "scanned_at"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    scan_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    gate_id: Mapped[int] = mapped_column(ForeignKey("gates.id"))
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"))
    direction: Mapped[str] = mapped_column(String(3))
    code: Mapped[str] = mapped_column(Text)
    badge_id: Mapped[int | None] = mapped_column(Integer, index=True)
    badge_revision: Mapped[int | None] = mapped_column(Integer)
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendees.id"))
    verdict: Mapped[str] = mapped_column(String(5))
    reason: Mapped[str] = mapped_column(String(24))
    server_reason: Mapped[str] = mapped_column(String(24))
    mode: Mapped[str] = mapped_column(String(8))  # online | offline | override
    scanned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    conflict: Mapped[str | None] = mapped_column(String(40))
    actor: Mapped[str | None] = mapped_column(String(320))
    note: Mapped[str | None] = mapped_column(String(500))
    # An annul entry (mode "annul") names the admit it takes back; both rows stay.
    annuls: Mapped[str | None] = mapped_column(String(36), index=True)


class Alert(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    scan_id: Mapped[str] = mapped_column(String(36))
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendees.id"))
    badge_id: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_by: Mapped[str | None] = mapped_column(String(320))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
