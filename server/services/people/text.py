"""Text typed by people: search folding (names in any script, accent- and
case-insensitive) and whole numbers in ASCII digits."""

from __future__ import annotations

import unicodedata

from shared import MAX_ID

_DIGITS = frozenset("0123456789")


def fold(text: str) -> str:
    """NFKC first (Arabic presentation forms, full-width Latin), then drop accents and
    case. CJK, Arabic and Cyrillic letters pass through; only combining marks go."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFKC", stripped).casefold().split())


def search_text(*parts: str) -> str:
    return " | ".join(fold(p) for p in parts if p)[:700]


def whole_number(text: str, maximum: int = MAX_ID) -> int | None:
    """``text`` as a whole number from 0 to ``maximum`` in ASCII digits, else None (an id,
    a day, a capacity). ``str.isdigit`` also accepts ``²`` and other scripts' digits,
    which ``int()`` then refuses or reads differently."""
    text = text.strip()
    if not text or len(text) > len(str(maximum)) or not set(text) <= _DIGITS:
        return None
    value = int(text)
    return value if value <= maximum else None
