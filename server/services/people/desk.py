"""The registration desk: a walk-in is registered and gets a badge in one transaction."""

from __future__ import annotations

from shared.schemas import AttendeeIn

from ...models import Attendee, Event
from ..db import transactional
from ..issuing import badges
from . import attendees


@transactional
def register_walk_in(event: Event, data: AttendeeIn, actor: str) -> Attendee:
    person = attendees.create(event, data, actor=actor)
    badges.issue(event, [person], actor=actor, reissue=False)
    return person
