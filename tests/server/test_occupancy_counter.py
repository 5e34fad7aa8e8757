"""The per-zone occupancy counter equals a count of presence rows after every kind of
presence write: entries and exits, a forced admission, a reset, a capacity set later."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from server.extensions import db
from server.models import Presence, Zone, ZoneOccupancy
from tests.support.factories import new_badge, scan
from tests.support.inproc import AppServer


def _counted(app_server: AppServer, zone_name: str) -> tuple[dict[str, int], dict[str, int]]:
    """(counter rows, presence counts) per day for one zone."""
    with app_server.app.app_context():
        zone_id = db.session.scalar(select(Zone.id).where(Zone.name == zone_name))
        counter = {str(d): n for d, n in db.session.execute(
            select(ZoneOccupancy.day, ZoneOccupancy.inside).where(ZoneOccupancy.zone_id == zone_id))
            if n}
        rows = {str(d): n for d, n in db.session.execute(
            select(Presence.day, func.count()).where(Presence.zone_id == zone_id,
                                                     Presence.inside.is_(True))
            .group_by(Presence.day))}
        db.session.remove()
    return counter, rows


def test_counter_follows_every_presence_write(app_server: AppServer) -> None:
    admin = app_server.session("admin")
    url = app_server.url
    name = f"Salon {uuid.uuid4().hex[:6]}"
    assert admin.post(f"{url}/api/v1/zones", json={"name": name, "capacity": 2}).status_code == 201
    for gate, direction in ((f"{name} In", "in"), (f"{name} Out", "out")):
        assert admin.post(f"{url}/api/v1/gates",
                          json={"name": gate, "zone": name, "direction": direction}).status_code == 201
    days = admin.get(f"{url}/api/v1/access-levels").json()["access_levels"][0]["days"]
    assert admin.post(f"{url}/api/v1/access-levels",
                      json={"name": f"{name} guests", "zones": [name], "days": days}).status_code == 201
    people = [new_badge(app_server, access_level=f"{name} guests") for _ in range(4)]

    reasons = [scan(app_server, p.code, f"{name} In")["reason"] for p in people[:3]]
    assert reasons == ["ok", "ok", "zone_full"]
    counter, rows = _counted(app_server, name)
    assert counter == rows and sum(counter.values()) == 2

    assert scan(app_server, people[0].code, f"{name} Out")["reason"] == "ok"
    assert scan(app_server, people[2].code, f"{name} In")["reason"] == "ok"
    counter, rows = _counted(app_server, name)
    assert counter == rows and sum(counter.values()) == 2

    security = app_server.session("security")
    forced = security.post(f"{url}/api/v1/attendees/{people[3].attendee_id}/override",
                           json={"action": "force_admit", "reason": "VIP, lost badge",
                                 "gate": f"{name} In"})
    assert forced.status_code == 200, forced.text
    counter, rows = _counted(app_server, name)
    assert counter == rows and sum(counter.values()) == 3  # forced past the capacity
    assert scan(app_server, people[0].code, f"{name} In")["reason"] == "zone_full"

    reset = security.post(f"{url}/api/v1/attendees/{people[1].attendee_id}/override",
                          json={"action": "reset_presence", "reason": "missed the exit",
                                "zone": name})
    assert reset.status_code == 200, reset.text
    counter, rows = _counted(app_server, name)
    assert counter == rows and sum(counter.values()) == 2


def test_capacity_set_later_counts_who_is_inside(app_server: AppServer) -> None:
    admin = app_server.session("admin")
    url = app_server.url
    name = f"Atrium {uuid.uuid4().hex[:6]}"
    assert admin.post(f"{url}/api/v1/zones", json={"name": name}).status_code == 201
    assert admin.post(f"{url}/api/v1/gates",
                      json={"name": f"{name} In", "zone": name, "direction": "in"}).status_code == 201
    days = admin.get(f"{url}/api/v1/access-levels").json()["access_levels"][0]["days"]
    assert admin.post(f"{url}/api/v1/access-levels",
                      json={"name": f"{name} guests", "zones": [name], "days": days}).status_code == 201
    people = [new_badge(app_server, access_level=f"{name} guests") for _ in range(3)]
    assert [scan(app_server, p.code, f"{name} In")["reason"] for p in people[:2]] == ["ok", "ok"]
    assert _counted(app_server, name)[0] == {}  # no capacity: no counter to keep

    with app_server.app.app_context():  # no API edits a capacity yet: the trigger must hold
        zone = db.session.scalars(select(Zone).where(Zone.name == name)).one()
        zone.capacity = 2
        db.session.commit()
        db.session.remove()
    counter, rows = _counted(app_server, name)
    assert counter == rows and sum(counter.values()) == 2
    from server.services.entry import hotcache

    hotcache.clear()  # this process cached the zone without a capacity
    assert scan(app_server, people[2].code, f"{name} In")["reason"] == "zone_full"
