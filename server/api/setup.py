"""The event's setup: zones, gates, access levels."""

from __future__ import annotations

from flask import Blueprint

from shared.schemas import AccessLevelIn, AccessLevelOut, GateIn, GateOut, ZoneIn, ZoneOut

from .. import presenters
from ..access import ADMIN, SETUP_READERS
from ..services.event import setup
from .auth import Principal
from .registry import endpoint
from .schemas import GateList, LevelList, ZoneList

bp = Blueprint("setup", __name__)


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
    zone = setup.create_zone(event, body.name, body.capacity, body.allow_reentry, actor=who.name)
    return presenters.zone_out(zone, {})


@endpoint(bp, "/gates", "GET", roles=SETUP_READERS, response=GateList, summary="Gates")
def get_gates(who: Principal) -> GateList:
    event = setup.current_event()
    return GateList(gates=[presenters.gate_out(g) for g in setup.list_gates(event)])


@endpoint(bp, "/gates", "POST", roles=ADMIN, body=GateIn, response=GateOut, status=201,
          summary="Create a gate")
def post_gate(who: Principal, body: GateIn) -> GateOut:
    event = setup.current_event()
    return presenters.gate_out(setup.create_gate(event, body.name, body.zone, body.direction,
                                                actor=who.name))


@endpoint(bp, "/access-levels", "GET", roles=SETUP_READERS, response=LevelList,
          summary="Access levels with their zones and days")
def get_levels(who: Principal) -> LevelList:
    event = setup.current_event()
    return LevelList(access_levels=[presenters.level_out(event, lv) for lv in setup.list_levels(event)])


@endpoint(bp, "/access-levels", "POST", roles=ADMIN, body=AccessLevelIn, response=AccessLevelOut,
          status=201, summary="Create an access level (zones and days)")
def post_level(who: Principal, body: AccessLevelIn) -> AccessLevelOut:
    event = setup.current_event()
    offsets = setup.dates_to_offsets(event, body.days)
    level = setup.create_level(event, body.name, body.colour, body.zones, offsets, actor=who.name)
    return presenters.level_out(event, level)
