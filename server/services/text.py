"""Search folding: names in any script, accent- and case-insensitive."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """NFKC first (Arabic presentation forms, full-width Latin), then drop accents and
    case. CJK, Arabic and Cyrillic letters pass through; only combining marks go."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFKC", stripped).casefold().split())


def search_text(*parts: str) -> str:
    return " | ".join(fold(p) for p in parts if p)[:700]
