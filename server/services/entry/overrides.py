"""Supervisor overrides: force an admission, or reset where someone is recorded to be.

Both are for the moments the rules cannot see (a VIP whose badge was lost on the way in,
a person the exit scanner missed). Each is logged with who and why: in the scan log
(mode ``override``, reason ``forced``) and in the audit log.
"""

from __future__ import annotations

import uuid

from sqlalchemy import update

from shared import Direction, Reason, Verdict

from ...errors import Conflict, ValidationFailed
from ...extensions import db
from ...models import Attendee, Event, Presence, Scan, utcnow
from ..accounts import audit
from ..db import transactional
from ..event import setup

MIN_REASON = 3


def _reason(text: str) -> str:
    text = text.strip()
    if len(text) < MIN_REASON:
        raise ValidationFailed("say why (a few words): overrides are reviewed later")
    return text[:500]


@transactional
def force_admit(event: Event, attendee: Attendee, gate_ref: str, why: str, *, actor: str) -> Scan:
    why = _reason(why)
    gate = setup.resolve_gate(event, gate_ref)
    if gate.direction != Direction.IN.value:
        raise Conflict("force admit is for entrance gates; exits always let people out")
    now = utcnow()
    day = setup.today(event, now)
    scan = Scan(
        scan_id=str(uuid.uuid4()), event_id=event.id, device_id=None, gate_id=gate.id,
        zone_id=gate.zone_id, direction=Direction.IN.value, code="",
        badge_id=attendee.badge.id if attendee.badge else None,
        badge_revision=attendee.badge.revision if attendee.badge else None,
        attendee_id=attendee.id, verdict=Verdict.ADMIT.value, reason=Reason.FORCED.value,
        server_reason=Reason.FORCED.value, mode="override", scanned_at=now, received_at=now,
        actor=actor, note=why,
    )
    db.session.add(scan)
    presence = db.session.get(Presence, (attendee.id, gate.zone_id))
    if presence is None:
        presence = Presence(attendee_id=attendee.id, zone_id=gate.zone_id)
        db.session.add(presence)
    presence.inside, presence.day, presence.since, presence.gate_id = True, day, now, gate.id
    audit.record(actor, "override.force_admit", f"attendee:{attendee.id}", gate=gate.name,
                 reason=why)
    return scan


@transactional
def reset_presence(event: Event, attendee: Attendee, zone_name: str | None, why: str, *,
                   actor: str) -> int:
    """Mark the person outside one zone (or every zone); returns how many rows changed."""
    why = _reason(why)
    stmt = update(Presence).where(Presence.attendee_id == attendee.id, Presence.inside.is_(True))
    if zone_name:
        stmt = stmt.where(Presence.zone_id == setup.zone_by_name(event, zone_name).id)
    changed = db.session.execute(stmt.values(inside=False, since=utcnow())).rowcount or 0
    audit.record(actor, "override.reset_presence", f"attendee:{attendee.id}",
                 zone=zone_name or "all", reason=why, changed=changed)
    return int(changed)


@transactional
def apply(event: Event, attendee: Attendee, action: str, why: str, *, actor: str,
          gate: str | None = None, zone: str | None = None) -> None:
    """The one dispatch for an override from the API or the dashboard: ``force_admit``
    at an entrance gate, anything else resets presence (in ``zone``, or everywhere)."""
    if action == "force_admit":
        if not gate:
            raise ValidationFailed("force_admit needs the gate")
        force_admit(event, attendee, gate, why, actor=actor)
    else:
        reset_presence(event, attendee, zone, why, actor=actor)
