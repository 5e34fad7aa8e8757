"""The short badge number printed under the QR code, for manual entry at a gate.

Decimal digits (readable aloud in any language, typed on any keypad) with a Luhn check
digit so one mistyped digit or swapped pair is caught before it reaches the server.
"""

from __future__ import annotations

from .errors import SharedError


class BadBadgeNumber(SharedError):
    pass


def _luhn_digit(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        value = int(ch)
        if i % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def format_badge_number(badge_id: int) -> str:
    body = f"{badge_id:06d}"
    return f"{body}-{_luhn_digit(body)}"


_ASCII_DIGITS = frozenset("0123456789")


def parse_badge_number(text: str) -> int:
    """Accept ``123456-7``, ``1234567`` or with spaces; raise ``BadBadgeNumber``.

    The one typed-number parser for server and gate. ASCII digits only: ``str.isdigit``
    also accepts ``²`` or Arabic-Indic digits, which ``int()`` then refuses or reads
    differently; a badge number is printed in ASCII and typed on a keypad.
    """
    compact = "".join(text.split()).replace("-", "")
    if len(compact) < 7 or len(compact) > 16 or not set(compact) <= _ASCII_DIGITS:
        raise BadBadgeNumber(f"not a badge number: {text[:40]!r}")
    digits = compact
    body, check = digits[:-1], int(digits[-1])
    if _luhn_digit(body) != check:
        raise BadBadgeNumber(f"check digit does not match: {text[:40]!r}")
    return int(body)

