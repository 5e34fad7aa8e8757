"""The shared policy: one reason per verdict, in the documented precedence.

The precedence tests take their order from ``DENY_PRECEDENCE`` itself: for every pair of
reasons, facts that trigger both must give the earlier one."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Callable

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
    TokenError,
    UnknownKey,
    Verdict,
    ZoneFacts,
    decide,
)
from shared.policy import entry_denials

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


@dataclasses.dataclass(frozen=True)
class Entry:
    """The facts of one entry scan, from a badge that passes every check."""

    claims: BadgeClaims | TokenError = CLAIMS
    gate: GateFacts = IN
    zone: ZoneFacts = ZoneFacts()
    badge: BadgeFacts = BadgeFacts()
    today: dt.date = TODAY

    def decide(self) -> Reason:
        return decide(self.claims, self.gate, self.zone, self.badge, self.today).reason


# For each deny reason, the change to the facts that triggers it (and only it).
TRIGGERS: dict[Reason, Callable[[Entry], Entry]] = {
    Reason.NOT_A_BADGE: lambda e: dataclasses.replace(e, claims=NotABadge("x")),
    Reason.BAD_SIGNATURE: lambda e: dataclasses.replace(e, claims=BadSignature("x")),
    Reason.UNKNOWN_KEY: lambda e: dataclasses.replace(e, claims=UnknownKey("x")),
    Reason.REVOKED: lambda e: dataclasses.replace(e, badge=dataclasses.replace(e.badge, revoked=True)),
    Reason.DEVICE_NOT_ALLOWED: lambda e: dataclasses.replace(
        e, gate=dataclasses.replace(e.gate, device_allowed=False)),
    Reason.NOT_VALID_TODAY: lambda e: dataclasses.replace(e, today=TODAY + dt.timedelta(days=1)),
    Reason.WRONG_ZONE: lambda e: dataclasses.replace(e, gate=dataclasses.replace(e.gate, zone_slot=3)),
    Reason.ALREADY_INSIDE: lambda e: dataclasses.replace(
        e, badge=dataclasses.replace(e.badge, inside=True)),
    Reason.ZONE_FULL: lambda e: dataclasses.replace(
        e, zone=dataclasses.replace(e.zone, capacity=5, occupancy=5)),
}
TOKEN_REASONS = {Reason.NOT_A_BADGE, Reason.BAD_SIGNATURE, Reason.UNKNOWN_KEY}
# Pairs that no facts trigger together: one token error at a time (verify_token picks
# it), and a person inside already counts towards the occupancy (never "full" for them).
EXCLUSIVE = {frozenset(p) for p in itertools.combinations(TOKEN_REASONS, 2)} | {
    frozenset({Reason.ALREADY_INSIDE, Reason.ZONE_FULL})}
PAIRS = [(a, b) for a, b in itertools.combinations(DENY_PRECEDENCE, 2)
         if frozenset({a, b}) not in EXCLUSIVE]


def test_every_deny_reason_has_a_trigger() -> None:
    assert set(TRIGGERS) == set(DENY_PRECEDENCE)
    for reason, trigger in TRIGGERS.items():
        assert trigger(Entry()).decide() is reason


@pytest.mark.parametrize("earlier,later", PAIRS, ids=[f"{a}>{b}" for a, b in PAIRS])
def test_earlier_reason_beats_later(earlier: Reason, later: Reason) -> None:
    both = TRIGGERS[later](TRIGGERS[earlier](Entry()))
    if isinstance(both.claims, BadgeClaims):
        # Both really apply: the test would pass vacuously otherwise.
        assert {earlier, later} <= entry_denials(both.claims, both.gate, both.zone,
                                                 both.badge, both.today)
    assert both.decide() is earlier


def test_all_reasons_at_once_give_the_first() -> None:
    entry = Entry()
    for reason in reversed(DENY_PRECEDENCE):
        if reason is not Reason.ALREADY_INSIDE:  # see EXCLUSIVE: zone_full stands for it
            entry = TRIGGERS[reason](entry)
    assert entry.decide() is DENY_PRECEDENCE[0]
