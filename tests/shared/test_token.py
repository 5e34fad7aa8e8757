"""The badge token: compact, alphanumeric, signed; anything else never raises."""

from __future__ import annotations

import datetime as dt

import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import (
    BadgeClaims,
    BadSignature,
    KeyRing,
    NotABadge,
    Reason,
    SigningKey,
    TokenError,
    UnknownKey,
    encode_token,
    verify_token,
)
from shared.masks import MAX_DAYS
from shared.token import TOKEN_LENGTH

DAY0 = dt.date(2026, 11, 26)
KEY = SigningKey.generate(7)
RING = KeyRing([KEY.public()], DAY0)


def claims(**kw: object) -> BadgeClaims:
    base = dict(key_id=7, badge_id=123456, revision=2,
                valid_days=frozenset({DAY0, DAY0 + dt.timedelta(days=3)}),
                zone_slots=frozenset({0, 7, 31}))
    base.update(kw)
    return BadgeClaims(**base)  # type: ignore[arg-type]


def test_round_trip_and_claims() -> None:
    token = encode_token(claims(), KEY, DAY0)
    assert verify_token(token, RING) == claims()


@pytest.mark.parametrize("badge_id,revision,slots,days", [
    (0, 0, set(), set()),
    (2**32 - 1, 255, set(range(32)), {DAY0 + dt.timedelta(days=i) for i in range(MAX_DAYS)}),
    (42, 1, {3}, {DAY0}),
])
def test_fits_qr_version_5_m_alphanumeric(badge_id: int, revision: int, slots: set[int], days: set[dt.date]) -> None:
    token = encode_token(claims(badge_id=badge_id, revision=revision, zone_slots=frozenset(slots),
                                valid_days=frozenset(days)), KEY, DAY0)
    assert len(token) == TOKEN_LENGTH
    assert token.isascii() and token.isalnum() and token == token.upper()
    qr = segno.make(token, error="m", boost_error=False)
    assert (qr.version, qr.mode, qr.error) == (5, "alphanumeric", "M")
    assert qr.symbol_size(border=0) == (37, 37)


def test_wedge_mangling_is_forgiven() -> None:
    token = encode_token(claims(), KEY, DAY0)
    assert verify_token(f"  {token.lower()}\r\n", RING) == claims()


def test_no_personal_data_inside() -> None:
    token = encode_token(claims(), KEY, DAY0)
    assert "@" not in token and " " not in token and len(token) < 130


def broken_by(swapped: str) -> Reason:
    """What a changed character breaks, by the format: the body is one base-36 number of
    76 bytes, key id first and the 64-byte signature last."""
    value = int(swapped[4:], 36)
    if value >= 256**76:
        return Reason.NOT_A_BADGE  # no longer fits: not one of ours
    if value >> (75 * 8) != KEY.key_id:
        return Reason.UNKNOWN_KEY
    return Reason.BAD_SIGNATURE


def test_every_single_character_change_is_caught() -> None:
    token = encode_token(claims(), KEY, DAY0)
    seen = set()
    for i in range(4, len(token)):
        swapped = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
        with pytest.raises(TokenError) as info:
            verify_token(swapped, RING)
        assert info.value.reason is broken_by(swapped), i
        seen.add(info.value.reason)
    assert seen == {Reason.NOT_A_BADGE, Reason.UNKNOWN_KEY, Reason.BAD_SIGNATURE}


def test_unknown_and_retired_keys() -> None:
    other = SigningKey.generate(9)
    with pytest.raises(UnknownKey):
        verify_token(encode_token(claims(key_id=9), other, DAY0), RING)
    # same key id, different key material: a forgery
    forged = encode_token(claims(), SigningKey.generate(7), DAY0)
    with pytest.raises(BadSignature):
        verify_token(forged, RING)


@pytest.mark.parametrize("text", [
    "", "https://example.com/ticket/1", "ADM1", "ADM1" + "Z" * 118, "WIFI:S:gate;T:WPA;P:x;;",
    "ADM1" + "!" * 118, "\x00\xff", "ADM2" + "0" * 118,
])
def test_foreign_codes_are_not_badges(text: str) -> None:
    with pytest.raises(NotABadge):
        verify_token(text, RING)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_random_text_never_raises_anything_but_token_errors(text: str) -> None:
    try:
        verify_token(text, RING)
    except TokenError as exc:
        assert exc.reason in (Reason.NOT_A_BADGE, Reason.BAD_SIGNATURE, Reason.UNKNOWN_KEY)


def test_truncated_code() -> None:
    token = encode_token(claims(), KEY, DAY0)
    with pytest.raises(NotABadge):
        verify_token(token[:-1], RING)
