"""The shared policy: one reason per verdict, in the documented precedence."""

from __future__ import annotations

import datetime as dt

import pytest

from shared import (
    DENY_PRECEDENCE,
    BadgeClaims,
    BadgeFacts,
    BadSignature,
    Direction,
    GateFacts,
    NotABadge,
    Reason,
    UnknownKey,
    Verdict,
    ZoneFacts,
    decide,
)

TODAY = dt.date(2026, 11, 26)
CLAIMS = BadgeClaims(1, 10, 1, frozenset({TODAY}), frozenset({2}))
IN = GateFacts(zone_slot=2, direction=Direction.IN)


@pytest.mark.parametrize("claims,gate,zone,badge,today,expected", [
    (CLAIMS, IN, ZoneFacts(), BadgeFacts(), TODAY, Reason.OK),
    (NotABadge("x"), IN, ZoneFacts(), BadgeFacts(), TODAY, Reason.NOT_A_BADGE),
    (BadSignature("x"), IN, ZoneFacts(), BadgeFacts(), TODAY, Reason.BAD_SIGNATURE),
    (UnknownKey("x"), IN, ZoneFacts(), BadgeFacts(), TODAY, Reason.UNKNOWN_KEY),
    (CLAIMS, IN, ZoneFacts(), BadgeFacts(revoked=True), TODAY, Reason.REVOKED),
    (CLAIMS, GateFacts(2, Direction.IN, device_allowed=False), ZoneFacts(), BadgeFacts(), TODAY,
     Reason.DEVICE_NOT_ALLOWED),
    (CLAIMS, IN, ZoneFacts(), BadgeFacts(), TODAY + dt.timedelta(days=1), Reason.NOT_VALID_TODAY),
    (CLAIMS, GateFacts(3, Direction.IN), ZoneFacts(), BadgeFacts(), TODAY, Reason.WRONG_ZONE),
    (CLAIMS, IN, ZoneFacts(), BadgeFacts(inside=True), TODAY, Reason.ALREADY_INSIDE),
    (CLAIMS, IN, ZoneFacts(allow_reentry=True), BadgeFacts(inside=True), TODAY, Reason.OK),
    (CLAIMS, IN, ZoneFacts(capacity=5, occupancy=5), BadgeFacts(), TODAY, Reason.ZONE_FULL),
    (CLAIMS, IN, ZoneFacts(capacity=5, occupancy=4), BadgeFacts(), TODAY, Reason.OK),
    # precedence: revoked beats everything after it
    (CLAIMS, GateFacts(3, Direction.IN, False), ZoneFacts(capacity=0), BadgeFacts(revoked=True, inside=True),
     TODAY + dt.timedelta(days=1), Reason.REVOKED),
    (CLAIMS, GateFacts(3, Direction.IN), ZoneFacts(capacity=0), BadgeFacts(inside=True),
     TODAY + dt.timedelta(days=1), Reason.NOT_VALID_TODAY),
    (CLAIMS, GateFacts(3, Direction.IN), ZoneFacts(capacity=0), BadgeFacts(inside=True), TODAY,
     Reason.WRONG_ZONE),
    (CLAIMS, IN, ZoneFacts(capacity=0), BadgeFacts(inside=True), TODAY, Reason.ALREADY_INSIDE),
    # database truth overrides the token's zones and days
    (CLAIMS, IN, ZoneFacts(), BadgeFacts(zone_slots=frozenset({1})), TODAY, Reason.WRONG_ZONE),
])
def test_entry_reasons(claims, gate, zone, badge, today, expected) -> None:  # type: ignore[no-untyped-def]
    decision = decide(claims, gate, zone, badge, today)
    assert decision.reason is expected
    assert decision.verdict is (Verdict.ADMIT if expected is Reason.OK else Verdict.DENY)


@pytest.mark.parametrize("badge,expected", [
    (BadgeFacts(inside=True), Reason.OK),
    (BadgeFacts(inside=False), Reason.NOT_INSIDE),
    (BadgeFacts(revoked=True, inside=True), Reason.OK),
])
def test_exit_always_lets_out(badge: BadgeFacts, expected: Reason) -> None:
    decision = decide(CLAIMS, GateFacts(2, Direction.OUT), ZoneFacts(), badge, TODAY + dt.timedelta(days=5))
    assert decision.verdict is Verdict.ADMIT and decision.reason is expected


def test_precedence_list_matches_design() -> None:
    assert [r.value for r in DENY_PRECEDENCE] == [
        "not_a_badge", "bad_signature", "unknown_key", "revoked", "device_not_allowed",
        "not_valid_today", "wrong_zone", "already_inside", "zone_full"]
