"""Occupancy: who is inside a zone now."""

from __future__ import annotations

from flask import Blueprint

from shared.schemas import PresenceOut

from ..access import STAFF
from ..errors import NotFound
from ..services.entry import presence
from ..services.event import setup
from .auth import Principal
from .registry import endpoint
from .schemas import InsideEntry, InsideList

bp = Blueprint("occupancy", __name__)


@endpoint(bp, "/zones/<int:zone_id>/inside", "GET", roles=STAFF, response=InsideList,
          summary="Who is inside this zone now")
def inside(who: Principal, zone_id: int) -> InsideList:

    event = setup.current_event()
    zone = next((z for z in setup.list_zones(event) if z.id == zone_id), None)
    if zone is None:
        raise NotFound(f"no zone {zone_id}")
    people = [
        InsideEntry(attendee_id=a.id, name=a.name, organization=a.organization,
                    access_level=a.access_level.name,
                    presence=PresenceOut(zone=zone.name, since=p.since, gate=gate or ""))
        for a, p, gate in presence.inside_zone(event, zone)
    ]
    return InsideList(zone=zone.name, people=people)
