"""The sync feed's bodies (``GET /api/v1/sync``), shared by server and gate: keys, badge
records (format 1 objects, format 2 packed arrays), the event, the LAN group's device
keys and presence. Split from shared.schemas, which keeps the scan, setup and people
bodies."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field


class KeyOut(BaseModel):
    key_id: int
    public_key: str = Field(description="raw Ed25519 public key, base64")


class BadgeRecord(BaseModel):
    """What a gate keeps per badge: nothing personal in clear."""

    badge_id: int
    number: str
    revision: int
    revoked: bool
    zone_slots: list[int]
    days: list[dt.date]
    sealed: str | None = Field(description="name, organization, level; opens with the code")
    erased: bool = Field(default=False, description="the holder was erased: forget the record")


class EventOut(BaseModel):
    id: int
    name: str
    timezone: str
    start_date: dt.date
    end_date: dt.date
    venue: str


class GateDeviceKey(BaseModel):
    """An active gate device's LAN key: peers sign their messages with it."""

    device_id: int
    name: str
    public_key: str = Field(description="raw Ed25519 public key, base64")


class PresenceRecord(BaseModel):
    """Who is inside the asking gate's zone today, as the server sees it."""

    badge_id: int
    zone_slot: int
    inside: bool
    since: dt.datetime


class SyncOut(BaseModel):
    event: EventOut
    server_time: dt.datetime
    keys: list[KeyOut]
    badges: list[BadgeRecord]
    cursor: str
    more: bool
    gate_devices: list[GateDeviceKey] = Field(default_factory=list)
    presence: list[PresenceRecord] | None = Field(
        default=None, description="on the last page, when the request names a gate")


# Sync feed format 2 (``GET /api/v1/sync?format=2``): the same page, each badge an array
# instead of an object, and the masks as the server keeps them. At 100,000 badges the
# field names and spelled-out days were half of format 1's bytes; a gate derives the
# badge number (``format_badge_number``), the zone slots and the days (``days_of`` from
# the event's start date) itself. Format 1 stays the default, so an older gate that asks
# for nothing gets what it always got; a gate that asks for a format the server does not
# know gets a 422 naming the formats it does.
SYNC_FORMATS = (1, 2)
PACKED_FIELDS = ("badge_id", "revision", "status", "zone_mask", "day_mask", "sealed")
# status: active, revoked, or erased (format 1's ``erased``: a revoked tombstone with no
# zones, days or sealed fields, and the gate forgets the badge's presence)
PACKED_ACTIVE, PACKED_REVOKED, PACKED_ERASED = 0, 1, 2

# [badge_id, revision, status, zone_mask, day_mask, sealed or null]
PackedBadge = tuple[int, int, int, int, int, str | None]


class PackedSyncOut(BaseModel):
    format: Literal[2] = 2
    fields: list[str] = Field(default_factory=lambda: list(PACKED_FIELDS),
                              description="the order of each badge array's items")
    event: EventOut
    server_time: dt.datetime
    keys: list[KeyOut]
    badges: list[PackedBadge]
    cursor: str
    more: bool
    # the LAN fields, with format 1's meaning (see SyncOut)
    gate_devices: list[GateDeviceKey] = Field(default_factory=list)
    presence: list[PresenceRecord] | None = Field(
        default=None, description="on the last page, when the request names a gate")
