"""Editing an event's setup after the fact: rename, change, deactivate zones, gates and
levels; change an event's dates or time zone. Changes that alter what badges already
say ask for confirmation first and then reissue exactly the badges that changed.

Days are calendar days to an organizer ("VIP on 12 to 14 May"): when the first day moves,
level and attendee day offsets move with it so they keep their dates, and days that no
longer fall within the event are dropped. A badge whose zones or days differ from what
its holder's level now grants is stale; only stale badges are reissued.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from shared import Direction

from ...errors import Conflict, ValidationFailed
from ...extensions import db
from ...models import AccessLevel, Attendee, Badge, Event, Gate, GateName, Zone
from ..accounts import audit
from ..db import transactional
from ..issuing import badges
from . import events, setup


@dataclass
class Outcome:
    """What a confirmed change did: badges reissued (resending them is the organizer's
    choice, so nothing is mailed here)."""

    reissued: list[int]


def _stale(event: Event) -> list[Attendee]:
    people = db.session.scalars(
        select(Attendee).join(Badge, Badge.attendee_id == Attendee.id)
        .where(Attendee.event_id == event.id, Attendee.deleted_at.is_(None),
               Badge.status == "active")
        .options(selectinload(Attendee.badge))
    ).unique()
    out = []
    for person in people:
        badge = person.badge
        assert badge is not None
        days = sum(1 << o for o in badges.effective_offsets(person))
        if badge.zone_mask != badges.zone_mask(person) or badge.day_mask != days:
            out.append(person)
    return out


def _active_badges(event: Event) -> int:
    from sqlalchemy import func

    return int(db.session.scalar(select(func.count()).select_from(Badge).where(
        Badge.event_id == event.id, Badge.status == "active")) or 0)


def _confirm_then_reissue(event: Event, confirm: bool, actor: str, what: str,
                          ask_anyway: bool = False) -> Outcome:
    """Called after the change is applied (not yet committed): refuse with the count when
    unconfirmed, which rolls the change back; otherwise reissue the stale badges."""
    db.session.flush()
    stale = _stale(event)
    if (stale or (ask_anyway and _active_badges(event))) and not confirm:
        raise Conflict(
            f"{what} changes {len(stale)} badge(s); send confirm=true to reissue them",
            code="confirmation_required",
            details={"affected_badges": len(stale), "active_badges": _active_badges(event)},
        )
    if stale:
        badges.issue(event, stale, actor=actor, reissue=True)
        audit.record(actor, "badge.reissue_after_change", f"event:{event.id}", change=what,
                     count=len(stale), badges=[p.badge.id for p in stale if p.badge][:500])
    return Outcome([p.badge.id for p in stale if p.badge is not None])


def _shift(offsets: list[int], delta: int, last: int) -> list[int]:
    return sorted({o + delta for o in offsets if 0 <= o + delta <= last})


@transactional
def update_event(event: Event, fields: events.EventFields, confirm: bool, actor: str) -> Outcome:
    old_start = event.start_date
    changed = events.apply(event, fields)
    delta = (old_start - event.start_date).days
    last = (event.end_date - event.start_date).days
    if delta or "end_date" in changed:
        for level in setup.list_levels(event):
            level.day_offsets = _shift(level.day_offsets, delta, last)
        for person in db.session.scalars(select(Attendee).where(
                Attendee.event_id == event.id, Attendee.day_offsets.is_not(None))):
            person.day_offsets = _shift(person.day_offsets or [], delta, last)
    audit.record(actor, "event.update", f"event:{event.id}", fields=changed)
    dates_or_zone = {"start_date", "end_date", "timezone"} & set(changed)
    if not dates_or_zone:
        return Outcome([])
    # A new time zone moves every badge's valid hours without changing any code: no
    # reissue, but the organizer must still confirm it once badges exist.
    return _confirm_then_reissue(event, confirm, actor, "changing the event's dates or time zone",
                                 ask_anyway="timezone" in changed)


def _rename_check(model: type[Zone] | type[Gate] | type[AccessLevel], event: Event,
                  item_id: int, name: str) -> None:
    clash = db.session.scalars(select(model).where(
        model.event_id == event.id, model.name == name, model.id != item_id)).first()
    if clash is not None:
        raise Conflict(f"{name!r} exists already")


def _get(model: type[Zone] | type[Gate] | type[AccessLevel], event_id: int | None,
         item_id: int) -> Zone | Gate | AccessLevel:
    from ...errors import NotFound

    item = db.session.get(model, item_id) if 0 < item_id < 2**31 else None
    if item is None or (event_id is not None and item.event_id != event_id):
        raise NotFound(f"no {model.__tablename__[:-1].replace('_', ' ')} {item_id}")
    return item


def event_of(model: type[Zone] | type[Gate] | type[AccessLevel], item_id: int) -> Event:
    """Items are addressed by id alone: their event is theirs, not the request's."""
    return events.get(_get(model, None, item_id).event_id)


@transactional
def update_zone(event: Event, zone_id: int, name: str | None, capacity: int | None,
                clear_capacity: bool, allow_reentry: bool | None, active: bool | None,
                actor: str) -> Zone:
    zone = _get(Zone, event.id, zone_id)
    assert isinstance(zone, Zone)
    if name is not None and name != zone.name:
        _rename_check(Zone, event, zone.id, name)
        zone.name = name
    if capacity is not None or clear_capacity:
        zone.capacity = capacity
    if allow_reentry is not None:
        zone.allow_reentry = allow_reentry
    if active is not None:
        zone.active = active
    audit.record(actor, "zone.update", f"zone:{zone.id}", name=zone.name, active=zone.active)
    return zone


@transactional
def update_gate(event: Event, gate_id: int, name: str | None, zone_name: str | None,
                direction: Direction | None, active: bool | None, actor: str) -> Gate:
    gate = _get(Gate, event.id, gate_id)
    assert isinstance(gate, Gate)
    if name is not None and name != gate.name:
        _rename_check(Gate, event, gate.id, name)
        # Laptops configured with the old name keep uploading their queued scans.
        db.session.add(GateName(event_id=event.id, gate_id=gate.id, name=gate.name))
        gate.name = name
    if zone_name is not None:
        zone = setup.zone_by_name(event, zone_name)
        if not zone.active:
            raise ValidationFailed(f"zone {zone_name!r} is deactivated")
        gate.zone_id = zone.id
        gate.zone = zone
    if direction is not None:
        gate.direction = direction.value
    if active is not None:
        gate.active = active
    audit.record(actor, "gate.update", f"gate:{gate.id}", name=gate.name, active=gate.active)
    return gate


@transactional
def update_level(event: Event, level_id: int, name: str | None, colour: str | None,
                 zone_names: list[str] | None, days: list[dt.date] | None,
                 active: bool | None, confirm: bool, actor: str) -> tuple[AccessLevel, Outcome]:
    level = _get(AccessLevel, event.id, level_id)
    assert isinstance(level, AccessLevel)
    if name is not None and name != level.name:
        _rename_check(AccessLevel, event, level.id, name)
        level.name = name
    if colour is not None:
        level.colour = colour
    if zone_names is not None:
        level.zones = [setup.zone_by_name(event, z) for z in zone_names]
    if days is not None:
        level.day_offsets = setup.dates_to_offsets(event, days)
    if active is not None:
        level.active = active
    audit.record(actor, "level.update", f"level:{level.id}", name=level.name, active=level.active)
    if name is not None or colour is not None:
        for person in db.session.scalars(select(Attendee).where(
                Attendee.access_level_id == level.id, Attendee.deleted_at.is_(None))):
            badges.reseal(event, person)  # the gate shows the level's name and colour
    outcome = _confirm_then_reissue(event, confirm, actor, f"changing level {level.name!r}")
    return level, outcome


def resolve_renamed_gate(event: Event, name: str) -> Gate | None:
    """The gate that last had this name, for scans queued before a rename."""
    row = db.session.scalars(select(GateName).where(
        GateName.event_id == event.id, GateName.name == name).order_by(GateName.id.desc())).first()
    return db.session.get(Gate, row.gate_id) if row is not None else None
