"""Request and response bodies only the server's API uses (query strings, lists, small
acknowledgements). What the gate also reads or sends lives in ``shared.schemas``."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared import MAX_ID
from shared.schemas import AccessLevelOut, CleanStr, DeviceOut, GateOut, PresenceOut, ZoneOut

from ..services.event import sync

# --- attendees ---------------------------------------------------------------------


class SearchQuery(BaseModel):
    q: CleanStr = Field(default="", max_length=200)
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=10_000_000)


class LookupQuery(BaseModel):
    code: CleanStr = Field(min_length=1, max_length=4096, description="a scanned code or badge number")


class Deleted(BaseModel):
    deleted: bool


# --- badges, keys, delivery --------------------------------------------------------


class RevokeIn(BaseModel):
    reason: CleanStr = Field(default="", max_length=300)


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


class DeviceList(BaseModel):
    devices: list[DeviceOut]


class ScanLogQuery(BaseModel):
    badge: int | None = Field(default=None, ge=0, le=MAX_ID)
    attendee: int | None = Field(default=None, ge=0, le=MAX_ID)
    gate: CleanStr | None = Field(default=None, max_length=120)
    limit: int = Field(default=100, ge=1, le=1000)
    after: CleanStr | None = Field(default=None, max_length=80,
                              description="next_cursor of the previous page")
