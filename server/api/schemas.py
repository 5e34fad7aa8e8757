"""Request and response bodies only the server's API uses (query strings, lists, small
acknowledgements). What the gate also reads or sends lives in ``shared.schemas``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared import MAX_ID, Direction
from shared.schemas import AccessLevelOut, CleanStr, DeviceOut, GateOut, PresenceOut, ZoneOut
from shared.sync_schemas import SYNC_FORMATS

from ..services.event import sync

# --- attendees ---------------------------------------------------------------------


class SearchQuery(BaseModel):
    q: CleanStr = Field(default="", max_length=200)
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=10_000_000)


class LookupIn(BaseModel):
    """A POST body, not a query string: full badge codes stay out of URLs and access logs."""

    model_config = ConfigDict(extra="forbid")
    code: CleanStr = Field(min_length=1, max_length=4096,
                             description="a scanned code or badge number")


class Deleted(BaseModel):
    deleted: bool


# --- badges, keys, delivery --------------------------------------------------------


class RevokeIn(BaseModel):
    reason: CleanStr = Field(default="", max_length=300, description="why (required: 422 without)")


class DeliveryOut(BaseModel):
    attendee_id: int
    state: str
    revision: int | None
    error: str | None


class KeyInfo(BaseModel):
    key_id: int
    active: bool
    encrypted: bool


class KeyList(BaseModel):
    keys: list[KeyInfo]


class RotateIn(BaseModel):
    retire_previous: bool = False


# --- alerts and occupancy ----------------------------------------------------------


class AlertOut(BaseModel):
    id: int
    kind: str
    message: str
    scan_id: str
    attendee_id: int | None
    badge_id: int | None
    created_at: str
    acknowledged_by: str | None


class AlertList(BaseModel):
    alerts: list[AlertOut]


class AlertQuery(BaseModel):
    all: bool = False


class AckIn(BaseModel):
    note: CleanStr = Field(default="", max_length=300)


class InsideEntry(BaseModel):
    attendee_id: int
    name: str
    organization: str
    access_level: str
    presence: PresenceOut


class InsideList(BaseModel):
    zone: str
    people: list[InsideEntry]


# --- setup, sync, devices, scans ---------------------------------------------------


class ZoneList(BaseModel):
    zones: list[ZoneOut]


class GateList(BaseModel):
    gates: list[GateOut]


class LevelList(BaseModel):
    access_levels: list[AccessLevelOut]


class SyncQuery(BaseModel):
    cursor: CleanStr | None = Field(default=None, max_length=60)
    limit: int = Field(default=sync.DEFAULT_PAGE, ge=1, le=sync.MAX_PAGE)
    gate: str | None = Field(default=None, max_length=120,
                             description="a LAN gate's own gate: its zone's presence comes along")
    format: int = Field(default=1, ge=min(SYNC_FORMATS), le=max(SYNC_FORMATS),
                        description="1: SyncOut; 2: badges as arrays (PackedSyncOut)")


class DeviceList(BaseModel):
    devices: list[DeviceOut]


class ScanLogQuery(BaseModel):
    badge: int | None = Field(default=None, ge=0, le=MAX_ID)
    attendee: int | None = Field(default=None, ge=0, le=MAX_ID)
    gate: CleanStr | None = Field(default=None, max_length=120)
    limit: int = Field(default=100, ge=1, le=1000)
    after: CleanStr | None = Field(default=None, max_length=80,
                              description="next_cursor of the previous page")


# --- events and setup edits -------------------------------------------------------

_EVENT_STRICT = ConfigDict(extra="forbid")
Language = CleanStr


class EventIn(BaseModel):
    model_config = _EVENT_STRICT
    name: CleanStr = Field(min_length=1, max_length=200)
    venue: CleanStr = Field(default="", max_length=300)
    timezone: CleanStr = Field(default="UTC", min_length=1, max_length=64)
    start_date: dt.date
    end_date: dt.date
    languages: list[Language] = Field(default_factory=lambda: ["en"], min_length=1,
                                      max_length=6)
    practical_info: CleanStr = Field(default="", max_length=4000)
    is_default: bool = False


class EventPatch(BaseModel):
    model_config = _EVENT_STRICT
    name: CleanStr | None = Field(default=None, min_length=1, max_length=200)
    venue: CleanStr | None = Field(default=None, max_length=300)
    timezone: CleanStr | None = Field(default=None, min_length=1, max_length=64)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    languages: list[Language] | None = Field(default=None, min_length=1, max_length=6)
    practical_info: CleanStr | None = Field(default=None, max_length=4000)
    is_default: bool | None = None
    confirm: bool = False


class EventFull(BaseModel):
    id: int
    name: str
    venue: str
    timezone: str
    start_date: dt.date
    end_date: dt.date
    languages: list[str]
    practical_info: str
    is_default: bool
    reissued_badges: list[int] = Field(default_factory=list)


class EventList(BaseModel):
    events: list[EventFull]
    default_event: int | None


class ZonePatch(BaseModel):
    model_config = _EVENT_STRICT
    name: CleanStr | None = Field(default=None, min_length=1, max_length=120)
    capacity: int | None = Field(default=None, ge=0, le=10_000_000)
    allow_reentry: bool | None = None
    active: bool | None = None


class GatePatch(BaseModel):
    model_config = _EVENT_STRICT
    name: CleanStr | None = Field(default=None, min_length=1, max_length=120)
    zone: CleanStr | None = Field(default=None, min_length=1, max_length=120)
    direction: Direction | None = None
    active: bool | None = None


class LevelPatch(BaseModel):
    model_config = _EVENT_STRICT
    name: CleanStr | None = Field(default=None, min_length=1, max_length=120)
    colour: CleanStr | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    zones: list[CleanStr] | None = Field(default=None, max_length=32)
    days: list[dt.date] | None = Field(default=None, max_length=16)
    active: bool | None = None
    confirm: bool = False


class LevelChanged(BaseModel):
    id: int
    name: str
    colour: str
    zones: list[str]
    days: list[dt.date]
    active: bool
    reissued_badges: list[int] = Field(default_factory=list)


# --- the audit log -------------------------------------------------------------------

AUDIT_MAX_ROWS = 500  # services.accounts.audit_log.MAX_ROWS


class AuditQuery(BaseModel):
    actor: CleanStr | None = Field(default=None, max_length=320)
    action: CleanStr | None = Field(default=None, max_length=60)
    attendee: int | None = Field(default=None, ge=1, le=2**31 - 1)
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: int = Field(default=200, ge=1, le=AUDIT_MAX_ROWS)


class AuditOut(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any]


class AuditList(BaseModel):
    entries: list[AuditOut]
