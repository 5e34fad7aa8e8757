"""Several events on one server: which one a request acts on, creating and editing them.

A request names its event with ``?event=<id>``; a dashboard user's choice is kept in the
session; a gate device always acts in its own event; everything else falls back to the
default event (the first one made, until another is marked default), so clients that
predate events keep working.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import g, has_request_context, request, session
from sqlalchemy import select, update

from shared.masks import MAX_DAYS

from ...errors import Forbidden, NotFound, ValidationFailed
from ...extensions import db
from ...models import ApiToken, Event

if TYPE_CHECKING:
    from ..accounts.devices import Device
from ..accounts import audit
from ..db import transactional

SESSION_KEY = "event_id"
LANGUAGES = ("en", "zh", "ar", "ru", "fr", "es")


def unknown(ref: object) -> NotFound:
    return NotFound(f"no event {ref}", code="unknown_event")


def get(event_id: int) -> Event:
    event = db.session.get(Event, event_id) if 0 < event_id < 2**31 else None
    if event is None:
        raise unknown(event_id)
    return event


def list_all() -> list[Event]:
    return list(db.session.scalars(select(Event).order_by(Event.id)))


def default() -> Event:
    found = db.session.scalars(
        select(Event).order_by(Event.is_default.desc(), Event.id).limit(1)
    ).first()
    if found is None:
        raise NotFound("no event is set up yet: run `flask --app server seed-demo` or create one")
    return found


def device_event_id(device: ApiToken | Device) -> int | None:
    """A gate device's event: its own, else its gate's; None = the default event."""
    if device.event_id is not None:
        return device.event_id
    gate = getattr(device, "gate", None)  # a row; a Device carries its gate's event already
    return gate.event_id if gate is not None else None


def _requested_id() -> int | None:
    raw = request.args.get("event")
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise unknown(raw)
    return int(raw)


def selector() -> int | None:
    """The event id this request asks for, without touching the database when it can
    (the scan path caches per selector); None = the default event."""
    if not has_request_context():
        return None
    asked = _requested_id()
    principal = g.get("principal")
    device = getattr(principal, "device", None)
    if device is not None and device.role == "gate":
        own = device_event_id(device)
        if asked is not None and own is not None and asked != own:
            raise Forbidden("this gate device belongs to another event", code="wrong_event")
        return own if own is not None else asked
    if asked is not None:
        return asked
    # A dashboard user's choice (bearer-token clients carry no session cookie).
    chosen = session.get(SESSION_KEY)
    return chosen if isinstance(chosen, int) else None


def for_request() -> Event:
    wanted = selector()
    if wanted is None:
        return default()
    event = db.session.get(Event, wanted)
    if event is None:
        if has_request_context() and request.args.get("event") is None:
            # A dashboard choice of an event since removed: fall back quietly.
            session.pop(SESSION_KEY, None)
            return default()
        raise unknown(wanted)
    return event


@dataclass
class EventFields:
    name: str | None = None
    venue: str | None = None
    timezone: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    languages: list[str] | None = None
    practical_info: str | None = None
    is_default: bool | None = None


def _check(event: Event) -> None:
    try:
        ZoneInfo(event.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(f"unknown time zone {event.timezone!r}",
                               details=[{"field": "timezone", "message": "not an IANA zone"}]) from exc
    if event.end_date < event.start_date:
        raise ValidationFailed("the last day is before the first",
                               details=[{"field": "end_date", "message": "before start_date"}])
    if (event.end_date - event.start_date).days >= MAX_DAYS:
        raise ValidationFailed(f"an event lasts at most {MAX_DAYS} days",
                               details=[{"field": "end_date", "message": "too long"}])
    bad = [lang for lang in event.languages if lang not in LANGUAGES]
    if bad or not event.languages:
        raise ValidationFailed(f"languages are among {', '.join(LANGUAGES)}",
                               details=[{"field": "languages", "message": f"unsupported: {bad}"}])


def _mark_default(event: Event) -> None:
    db.session.execute(update(Event).where(Event.id != event.id).values(is_default=False))
    event.is_default = True


@transactional
def create(fields: EventFields, actor: str) -> Event:
    from ..issuing import keys

    if not fields.name or fields.start_date is None or fields.end_date is None:
        raise ValidationFailed("name, start_date and end_date are required")
    event = Event(name=fields.name.strip(), venue=(fields.venue or "").strip(),
                  timezone=fields.timezone or "UTC", start_date=fields.start_date,
                  end_date=fields.end_date, languages=fields.languages or ["en"],
                  practical_info=fields.practical_info or "", is_default=False)
    _check(event)
    db.session.add(event)
    db.session.flush()
    if fields.is_default:
        _mark_default(event)
    keys.create_key(event, actor=actor)  # its own key ring: other events' badges fail here
    audit.record(actor, "event.create", f"event:{event.id}", name=event.name)
    return event


def apply(event: Event, fields: EventFields) -> list[str]:
    """Copy the given fields; the names of those that changed."""
    changed: list[str] = []
    for name in ("name", "venue", "timezone", "start_date", "end_date", "languages",
                 "practical_info"):
        value = getattr(fields, name)
        if value is not None and value != getattr(event, name):
            setattr(event, name, value.strip() if isinstance(value, str) else value)
            changed.append(name)
    _check(event)
    if fields.is_default and not event.is_default:
        _mark_default(event)
        changed.append("is_default")
    return changed
