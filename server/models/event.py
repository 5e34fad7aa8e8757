"""The event's setup: zones, access levels, gates."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Base, db
from .types import UTCDateTime


class Event(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    venue: Mapped[str] = mapped_column(String(300), default="")
    practical_info: Mapped[str] = mapped_column(String(4000), default="")
    # Personal data is erased this many days after end_date (None: kept until erased).
    retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Event-local "HH:MM" at which everyone still inside is checked out (None: never).
    checkout_time: Mapped[str | None] = mapped_column(String(5), nullable=True)
    # Set when retention erased the event's personal data (it runs once).
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Languages the event speaks to attendees in (emails, badges); the first is its own.
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["en"])
    # The event old routes and clients act on; none marked = the first one made.
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    zones: Mapped[list[Zone]] = relationship(back_populates="event", order_by="Zone.slot")


level_zones = Table(
    "access_level_zones",
    Base.metadata,
    Column("access_level_id", ForeignKey("access_levels.id", ondelete="CASCADE"), primary_key=True),
    Column("zone_id", ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True),
)


class Zone(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "zones"
    __table_args__ = (
        UniqueConstraint("event_id", "slot", name="uq_zones_event_slot"),
        UniqueConstraint("event_id", "name", name="uq_zones_event_name"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # Bit position of this zone in a badge token's zone mask (0..31).
    slot: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    allow_reentry: Mapped[bool] = mapped_column(default=False)
    # Scans and badges refer to it, so it is deactivated, never deleted.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    event: Mapped[Event] = relationship(back_populates="zones")


class AccessLevel(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "access_levels"
    __table_args__ = (UniqueConstraint("event_id", "name", name="uq_access_levels_event_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    colour: Mapped[str] = mapped_column(String(7), default="#1f4e79")
    # Day offsets from the event's first day (0-based), as in the token's day mask.
    day_offsets: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Scans and badges refer to it, so it is deactivated, never deleted.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    zones: Mapped[list[Zone]] = relationship(secondary=level_zones, order_by="Zone.slot")


class Gate(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "gates"
    __table_args__ = (UniqueConstraint("event_id", "name", name="uq_gates_event_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"))
    direction: Mapped[str] = mapped_column(String(3), default="in")
    # Scans and badges refer to it, so it is deactivated, never deleted.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    zone: Mapped[Zone] = relationship(lazy="joined")


class GateName(db.Model):  # type: ignore[name-defined,misc]
    """A name a gate had before it was renamed: a gate laptop's queued scans carry the
    name it was configured with, and must still upload after the rename."""

    __tablename__ = "gate_names"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    gate_id: Mapped[int] = mapped_column(ForeignKey("gates.id"))
    name: Mapped[str] = mapped_column(String(120))
