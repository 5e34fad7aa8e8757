"""The event's data policies: how long personal data is kept, when the day closes."""

from __future__ import annotations

import re

from ...errors import ValidationFailed
from ...models import Event
from ..accounts import audit
from ..db import transactional

_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


@transactional
def update(event: Event, fields: dict[str, object], actor: str) -> Event:
    """``fields`` holds only what the caller sent (None clears a setting)."""
    if "retention_days" in fields:
        days = fields["retention_days"]
        if days is not None and not (isinstance(days, int) and 0 <= days <= 3650):
            raise ValidationFailed("retention_days is 0..3650 or null")
        event.retention_days = days  # type: ignore[assignment]
    if "checkout_time" in fields:
        at = fields["checkout_time"]
        if at is not None and not (isinstance(at, str) and _HHMM.match(at)):
            raise ValidationFailed("checkout_time is HH:MM (event time) or null")
        event.checkout_time = at  # type: ignore[assignment]
    audit.record(actor, "event.settings", f"event:{event.id}", **fields)
    return event
