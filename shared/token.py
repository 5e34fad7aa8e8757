"""The badge token: what is inside the QR code.

Layout (format version 1)::

    "ADM1" + base36(payload || ed25519_signature), fixed 118 digits, uppercase
    payload = key_id:u8 badge_id:u32 revision:u8 days_mask:u16 zones_mask:u32

The signature covers ``b"ADM1" + payload`` so a later format cannot be confused with
this one. 12 + 64 bytes make 118 base-36 characters, 122 with the prefix: exactly what
QR version 5 at error correction M holds in alphanumeric mode (base32 would need 126).
Only ``0-9`` and ``A-Z`` occur, which a keyboard-wedge scanner types on any layout.
No personal data is inside: the badge id, revision, zone slots (bit i = the event's
zone with slot i) and valid days (bit i = the event's first day + i) suffice to decide
offline. The event's first day ("day zero") travels with its keys, so the days need
no absolute date in the code.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from .errors import BadSignature, NotABadge, UnknownKey
from .masks import days_mask, days_of, mask_of, slots_of

PREFIX = "ADM1"
_PAYLOAD = struct.Struct(">BIBHI")
_SIG_LEN = 64
_RAW_LEN = _PAYLOAD.size + _SIG_LEN
_BODY_LEN = 118  # smallest n with 36**n >= 256**76
TOKEN_LENGTH = len(PREFIX) + _BODY_LEN
_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ALPHABET = frozenset(_DIGITS)
_MAX_VALUE = 1 << (8 * _RAW_LEN)
# Verified codes a key ring remembers: every badge is scanned again and again (entries,
# exits, other zones, other days), and the signature check is the costliest step of a
# scan (libsodium's, ~0.1 ms; OpenSSL's through cryptography took 1.7x that). Only
# genuine codes get in (a forged one fails the check), so the memo holds at most the
# event's badges; past the bound it starts again rather than grow.
MEMO_CODES = 50_000  # ~20 MB at most per process


@dataclass(frozen=True)
class BadgeClaims:
    """What a verified (or merely parsed) token says about its badge."""

    key_id: int
    badge_id: int
    revision: int
    valid_days: frozenset[dt.date]
    zone_slots: frozenset[int]

    def valid_on(self, day: dt.date) -> bool:
        return day in self.valid_days

    def grants_zone(self, slot: int) -> bool:
        return slot in self.zone_slots


@dataclass(frozen=True)
class ParsedToken:
    claims: BadgeClaims
    signed: bytes
    signature: bytes


@dataclass(frozen=True)
class SigningKey:
    key_id: int
    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls, key_id: int) -> SigningKey:
        return cls(key_id, Ed25519PrivateKey.generate())

    def public(self) -> PublicKey:
        raw = self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return PublicKey(self.key_id, raw)


@dataclass(frozen=True)
class PublicKey:
    key_id: int
    raw: bytes  # 32 bytes, as published in the sync feed (base64 there)

    def verifier(self) -> VerifyKey:
        return VerifyKey(self.raw)


class KeyRing:
    """The public keys a verifier accepts (a retired key is simply absent), and the
    event's day zero that the tokens' day bits count from."""

    def __init__(self, keys: Iterable[PublicKey], day_zero: dt.date) -> None:
        self.day_zero = day_zero
        self._raw: dict[int, PublicKey] = {key.key_id: key for key in keys}
        self._keys: dict[int, VerifyKey] = {
            key_id: key.verifier() for key_id, key in self._raw.items()
        }
        # code -> claims, for codes this ring verified (a new ring, after a key was
        # added or retired, starts empty: a retired key's codes are checked again)
        self.verified: dict[str, BadgeClaims] = {}

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._keys

    def __iter__(self) -> Iterator[PublicKey]:
        return iter(self._raw.values())

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, key_id: int) -> VerifyKey | None:
        return self._keys.get(key_id)


def normalize_code(text: str) -> str:
    """Undo what a keyboard wedge does to a code: caps lock, stray whitespace."""
    return "".join(text.split()).upper()


def _to_base36(raw: bytes) -> str:
    value = int.from_bytes(raw, "big")
    digits = []
    for _ in range(_BODY_LEN):
        value, digit = divmod(value, 36)
        digits.append(_DIGITS[digit])
    return "".join(reversed(digits))


def encode_token(claims: BadgeClaims, key: SigningKey, day_zero: dt.date) -> str:
    """Sign ``claims`` with ``key`` (its id is written into the token)."""
    zones = mask_of(claims.zone_slots)
    days = days_mask(claims.valid_days, day_zero)
    payload = _PAYLOAD.pack(key.key_id, claims.badge_id, claims.revision, days, zones)
    signature = key.private_key.sign(PREFIX.encode() + payload)
    return PREFIX + _to_base36(payload + signature)


def parse_token(text: str, day_zero: dt.date) -> ParsedToken:
    """Read a token's fields without checking the signature; ``NotABadge`` otherwise."""
    code = normalize_code(text)
    if not code.startswith(PREFIX) or len(code) != TOKEN_LENGTH:
        raise NotABadge("not an Admit badge", text=text[:200])
    body = code[len(PREFIX) :]
    if not set(body) <= _ALPHABET:
        raise NotABadge("not an Admit badge (bad characters)", text=text[:200])
    value = int(body, 36)
    if value >= _MAX_VALUE:
        raise NotABadge("not an Admit badge (out of range)", text=text[:200])
    raw = value.to_bytes(_RAW_LEN, "big")
    payload, signature = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
    key_id, badge_id, revision, days, zones = _PAYLOAD.unpack(payload)
    claims = BadgeClaims(
        key_id=key_id,
        badge_id=badge_id,
        revision=revision,
        valid_days=days_of(days, day_zero),
        zone_slots=slots_of(zones),
    )
    return ParsedToken(claims, PREFIX.encode() + payload, signature)


def verify_token(text: str, keys: KeyRing) -> BadgeClaims:
    """Parse and verify; raises ``NotABadge``, ``UnknownKey`` or ``BadSignature``."""
    known = keys.verified.get(text)
    if known is not None:
        return known
    parsed = parse_token(text, keys.day_zero)
    verifier = keys.get(parsed.claims.key_id)
    if verifier is None:
        raise UnknownKey(
            f"signed with unknown or retired key {parsed.claims.key_id}",
            text=text[:200],
            key_id=parsed.claims.key_id,
        )
    try:
        verifier.verify(parsed.signed, parsed.signature)
    except BadSignatureError as exc:
        raise BadSignature("signature does not match", text=text[:200]) from exc
    if len(keys.verified) >= MEMO_CODES:
        keys.verified.clear()
    keys.verified[text] = parsed.claims
    return parsed.claims
