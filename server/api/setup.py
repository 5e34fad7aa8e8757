"""The event's setup: zones, gates, access levels; the sync feed; device heartbeats."""

from __future__ import annotations

from flask import Blueprint
from pydantic import BaseModel, Field

from shared.schemas import (
    AccessLevelIn,
    AccessLevelOut,
    CleanStr,
    GateIn,
    GateOut,
    HeartbeatIn,
    HeartbeatOut,
    SyncOut,
    ZoneIn,
    ZoneOut,
)

from .. import presenters
from ..errors import Forbidden
from ..models import utcnow
from ..services import devices, setup, sync
from ..services.db import write
from .auth import Principal
from .registry import ADMIN, GATE, SETUP_READERS, endpoint

bp = Blueprint("setup", __name__)


class ZoneList(BaseModel):
    zones: list[ZoneOut]


class GateList(BaseModel):
    gates: list[GateOut]


class LevelList(BaseModel):
    access_levels: list[AccessLevelOut]


class SyncQuery(BaseModel):
    cursor: CleanStr | None = Field(default=None, max_length=60)
    limit: int = Field(default=sync.DEFAULT_PAGE, ge=1, le=sync.MAX_PAGE)


@endpoint(bp, "/zones", "GET", roles=SETUP_READERS, response=ZoneList,
          summary="Zones with their occupancy now")
def get_zones(who: Principal) -> ZoneList:
    event = setup.current_event()
    occ = setup.occupancy(event)
    return ZoneList(zones=[presenters.zone_out(z, occ) for z in setup.list_zones(event)])


@endpoint(bp, "/zones", "POST", roles=ADMIN, body=ZoneIn, response=ZoneOut, status=201,
          summary="Create a zone")
def post_zone(who: Principal, body: ZoneIn) -> ZoneOut:
    event = setup.current_event()
    zone = write(setup.create_zone, event, body.name, body.capacity, body.allow_reentry, who.name)
    return presenters.zone_out(zone, {})


@endpoint(bp, "/gates", "GET", roles=SETUP_READERS, response=GateList, summary="Gates")
def get_gates(who: Principal) -> GateList:
    event = setup.current_event()
    return GateList(gates=[presenters.gate_out(g) for g in setup.list_gates(event)])


@endpoint(bp, "/gates", "POST", roles=ADMIN, body=GateIn, response=GateOut, status=201,
          summary="Create a gate")
def post_gate(who: Principal, body: GateIn) -> GateOut:
    event = setup.current_event()
    return presenters.gate_out(write(setup.create_gate, event, body.name, body.zone, body.direction, who.name))


@endpoint(bp, "/access-levels", "GET", roles=SETUP_READERS, response=LevelList,
          summary="Access levels with their zones and days")
def get_levels(who: Principal) -> LevelList:
    event = setup.current_event()
    return LevelList(access_levels=[presenters.level_out(event, lv) for lv in setup.list_levels(event)])


@endpoint(bp, "/access-levels", "POST", roles=ADMIN, body=AccessLevelIn, response=AccessLevelOut,
          status=201, summary="Create an access level (zones and days)")
def post_level(who: Principal, body: AccessLevelIn) -> AccessLevelOut:
    event = setup.current_event()

    def run() -> AccessLevelOut:
        offsets = setup.dates_to_offsets(event, body.days)
        level = setup.create_level(event, body.name, body.colour, body.zones, offsets, who.name)
        return presenters.level_out(event, level)

    return write(run)


@endpoint(bp, "/sync", "GET", roles=GATE, query=SyncQuery, response=SyncOut,
          summary="Keys and badge records changed since the cursor")
def get_sync(who: Principal, query: SyncQuery) -> SyncOut:
    event = setup.current_event()
    out = sync.feed(event, query.cursor, query.limit)
    if who.device is not None and not out.more:
        device = who.device
        write(lambda: setattr(devices.get(device.id), "last_sync_at", utcnow()))
    return out


@endpoint(bp, "/devices/heartbeat", "POST", roles=frozenset({"gate"}), body=HeartbeatIn,
          response=HeartbeatOut, summary="A gate reports its state")
def post_heartbeat(who: Principal, body: HeartbeatIn) -> HeartbeatOut:
    if who.device is None:
        raise Forbidden("only a device token reports heartbeats")
    event = setup.current_event()
    device_id = who.device.id
    skew = write(lambda: devices.heartbeat(event, devices.get(device_id), body))
    return HeartbeatOut(server_time=utcnow(), clock_skew_s=skew,
                        clock_warning=abs(skew) > devices.CLOCK_WARNING_S)
