"""The one access decision, shared by the server (online) and the gate (offline).

Both sides gather the facts their own way (the server from its database under a lock,
the gate from its cache and presence log) and call ``decide``; the verdict and its one
reason therefore never differ for the same facts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from .errors import TokenError
from .reasons import DENY_PRECEDENCE, Reason, Verdict
from .token import BadgeClaims


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: Reason

    @property
    def admitted(self) -> bool:
        return self.verdict is Verdict.ADMIT


@dataclass(frozen=True)
class GateFacts:
    zone_slot: int
    direction: Direction
    device_allowed: bool = True


@dataclass(frozen=True)
class ZoneFacts:
    allow_reentry: bool = False
    capacity: int | None = None
    occupancy: int = 0


@dataclass(frozen=True)
class BadgeFacts:
    """What the deciding side knows beyond the token itself.

    ``zone_slots``/``valid_days`` override the token's claims where the side holds a
    fresher truth (the server's database); ``None`` means "trust the token".
    """

    revoked: bool = False
    inside: bool = False
    zone_slots: frozenset[int] | None = None
    valid_days: frozenset[dt.date] | None = None


def _deny(reason: Reason) -> Decision:
    return Decision(Verdict.DENY, reason)


def entry_denials(
    claims: BadgeClaims, gate: GateFacts, zone: ZoneFacts, badge: BadgeFacts, today: dt.date
) -> frozenset[Reason]:
    """Every deny reason that applies to an entry with a valid token (often more than one)."""
    days = badge.valid_days if badge.valid_days is not None else claims.valid_days
    zones = badge.zone_slots if badge.zone_slots is not None else claims.zone_slots
    applies = {
        Reason.REVOKED: badge.revoked,
        Reason.DEVICE_NOT_ALLOWED: not gate.device_allowed,
        Reason.NOT_VALID_TODAY: today not in days,
        Reason.WRONG_ZONE: gate.zone_slot not in zones,
        Reason.ALREADY_INSIDE: badge.inside and not zone.allow_reentry,
        # Someone inside already counts towards the occupancy: never "full" for them.
        Reason.ZONE_FULL: zone.capacity is not None and not badge.inside
        and zone.occupancy >= zone.capacity,
    }
    return frozenset(reason for reason, hit in applies.items() if hit)


def decide(
    claims: BadgeClaims | TokenError,
    gate: GateFacts,
    zone: ZoneFacts,
    badge: BadgeFacts,
    today: dt.date,
) -> Decision:
    """Verdict and the one reason: of the reasons that apply, the first in
    ``DENY_PRECEDENCE``. A token that does not verify has no facts to weigh, and its
    reasons lead the list."""
    if isinstance(claims, TokenError):
        return _deny(claims.reason)
    if gate.direction is Direction.OUT:
        # An exit always lets the person out: holding someone inside helps no one.
        return Decision(Verdict.ADMIT, Reason.OK if badge.inside else Reason.NOT_INSIDE)
    denials = entry_denials(claims, gate, zone, badge, today)
    for reason in DENY_PRECEDENCE:
        if reason in denials:
            return _deny(reason)
    return Decision(Verdict.ADMIT, Reason.OK)


def event_day(moment: dt.datetime, tz: dt.tzinfo) -> dt.date:
    """The event's calendar day for an instant: validity and presence follow it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(tz).date()
