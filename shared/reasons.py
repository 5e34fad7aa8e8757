"""Reason codes: exactly one accompanies every verdict.

The order of ``DENY_PRECEDENCE`` is the order in which reasons win when several apply
(see the design notes); the policy checks in that order so the first failure is the one
reported.
"""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    ADMIT = "admit"
    DENY = "deny"


class Reason(StrEnum):
    OK = "ok"
    NOT_INSIDE = "not_inside"  # an exit of someone we did not see enter: let out, recorded
    NOT_A_BADGE = "not_a_badge"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_KEY = "unknown_key"
    REVOKED = "revoked"
    DEVICE_NOT_ALLOWED = "device_not_allowed"
    NOT_VALID_TODAY = "not_valid_today"
    WRONG_ZONE = "wrong_zone"
    ALREADY_INSIDE = "already_inside"
    ZONE_FULL = "zone_full"
    FORCED = "forced"  # supervisor override, logged with who and why
    ANNULLED = "annulled"  # the gate took back its own admit ("the turnstile did not turn")


DENY_PRECEDENCE: tuple[Reason, ...] = (
    Reason.NOT_A_BADGE,
    Reason.BAD_SIGNATURE,
    Reason.UNKNOWN_KEY,
    Reason.REVOKED,
    Reason.DEVICE_NOT_ALLOWED,
    Reason.NOT_VALID_TODAY,
    Reason.WRONG_ZONE,
    Reason.ALREADY_INSIDE,
    Reason.ZONE_FULL,
)

# Plain words for the gate screen and the dashboard; the code stays the stable contract.
REASON_TEXT: dict[Reason, str] = {
    Reason.ANNULLED: "Admit annulled by the gate",
    Reason.OK: "Welcome",
    Reason.NOT_INSIDE: "Exit recorded (no entry on record)",
    Reason.NOT_A_BADGE: "Not one of our badges",
    Reason.BAD_SIGNATURE: "Forged or damaged badge",
    Reason.UNKNOWN_KEY: "Badge signed with an unknown or retired key",
    Reason.REVOKED: "Badge revoked (lost or replaced)",
    Reason.DEVICE_NOT_ALLOWED: "This device may not scan at this gate",
    Reason.NOT_VALID_TODAY: "Badge not valid today",
    Reason.WRONG_ZONE: "No access to this area",
    Reason.ALREADY_INSIDE: "Already inside (badge used for entry)",
    Reason.ZONE_FULL: "Area full",
    Reason.FORCED: "Admitted by supervisor override",
}
