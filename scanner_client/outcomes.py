"""What a scan ends in at the gate, as plain values the screen and the store read.

A scan ends in a ``GateVerdict`` (admit or deny, online or offline) or, when the input
was no scan at all, a ``GateNotice`` (the gate's own enrolment code held up, the server
asking staff to slow down on typed numbers): a notice is shown, never queued or counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from shared import Direction, Reason, Verdict


@dataclass(frozen=True)
class GateSetup:
    """The gate this laptop serves, as the server described it at enrolment."""

    name: str
    zone: str
    zone_slot: int
    direction: Direction
    allow_reentry: bool

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "zone": self.zone, "zone_slot": self.zone_slot,
                "direction": self.direction.value, "allow_reentry": self.allow_reentry}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GateSetup:
        return cls(data["name"], data["zone"], int(data["zone_slot"]), Direction(data["direction"]),
                   bool(data["allow_reentry"]))


@dataclass(frozen=True)
class PresenceChange:
    """One row of this gate's presence log: the badge went in (or out) of a zone."""

    badge_id: int
    zone_slot: int
    day: dt.date
    inside: bool
    at: dt.datetime

    @classmethod
    def after_admit(cls, badge_id: int, gate: GateSetup, day: dt.date, at: dt.datetime
                    ) -> PresenceChange:
        return cls(badge_id, gate.zone_slot, day, gate.direction is Direction.IN, at)


@dataclass
class GateVerdict:
    """What the screen shows and headless mode prints for one scan."""

    scan_id: str
    verdict: Verdict
    reason: Reason
    mode: str
    latency_ms: float = 0.0
    message: str = ""
    name: str | None = None
    organization: str | None = None
    access_level: str | None = None
    badge_id: int | None = None
    badge_number: str | None = None  # printed on the badge: what a deny shows instead of a name
    typed_number: bool = False  # a badge number typed by staff, not a scanned code
    set_aside: bool = False  # the server refuses this scan: kept on the gate, not retried

    @property
    def admitted(self) -> bool:
        return self.verdict is Verdict.ADMIT

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"verdict": self.verdict.value, "reason": self.reason.value,
                               "mode": self.mode, "latency_ms": round(self.latency_ms, 1),
                               "scan_id": self.scan_id}
        if self.name is not None:
            out["name"] = self.name
        if self.badge_id is not None:
            out["badge_id"] = self.badge_id
            out["badge_number"] = self.badge_number
        if self.typed_number:
            out["typed"] = True
            out["message"] = self.message
        if self.set_aside:
            out["set_aside"] = True
        return out


@dataclass
class GateNotice:
    """Input that is not a scan: shown to staff, never sent, queued or counted."""

    kind: str  # "enrolment_code" | "rate_limited"
    message: str
    mode: str
    latency_ms: float = 0.0
    retry_after_s: int | None = None

    admitted = False

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"notice": self.kind, "message": self.message, "mode": self.mode,
                               "latency_ms": round(self.latency_ms, 1)}
        if self.retry_after_s is not None:
            out["retry_after_s"] = self.retry_after_s
        return out


Outcome = GateVerdict | GateNotice

ENROLMENT_CODE_NOTE = "Enrolment code – not a badge"


def rate_limited_note(retry_after_s: int, typed: bool) -> str:
    what = "too many typed numbers" if typed else "the server asks this gate to slow down"
    return f"{what.capitalize()}, wait {retry_after_s} s"


def skew_words(skew_s: float) -> str:
    """A measured clock offset in words gate staff act on: "this laptop's clock is 9 min
    fast" (positive skew: the laptop is ahead of the server)."""
    seconds = round(abs(skew_s))
    if seconds < 90:
        amount = f"{seconds} s"
    elif seconds < 90 * 60:
        amount = f"{round(seconds / 60)} min"
    elif seconds < 48 * 3600:
        hours, minutes = divmod(round(seconds / 60), 60)
        amount = f"{hours} h {minutes} min" if minutes else f"{hours} h"
    else:
        amount = f"{round(seconds / 86400)} days"
    return f"this laptop's clock is {amount} {'fast' if skew_s > 0 else 'slow'}"
