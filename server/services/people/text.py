"""Text typed by people: search folding (names in any script, accent- and
case-insensitive, the way staff type) and whole numbers in ASCII digits.

Stored search text and queries go through the same ``fold``; a query matches when each
of its words is found somewhere in the stored text (any order), so "محمد العتيبي" finds
"محمد بن سلمان العتيبي" and "王 小明" finds 王小明. Chinese names also carry their pinyin
run together ("wangxiaoming"), so "wang xiaoming", "wangxiaoming" and "xiaoming" match.
"""

from __future__ import annotations

import unicodedata

from pypinyin import lazy_pinyin

from shared import MAX_ID

_DIGITS = frozenset("0123456789")

# Arabic letters typed in several equivalent ways: hamza seats on alef, alef maqsura,
# taa marbuta. Tatweel (kashida) is decoration.
_ARABIC = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه",
                         "ـ": None})


def _visible(text: str) -> str:
    # Format characters (zero-width space/joiners, direction marks, BOM, soft hyphen) are
    # invisible: pasted names often carry them, and nobody types them in a search.
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def fold(text: str) -> str:
    """NFKC first (Arabic presentation forms, full-width Latin), then drop accents and
    case. CJK, Arabic and Cyrillic letters pass through; only combining marks go."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", _visible(text)))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFKC", stripped).casefold().translate(_ARABIC).split())


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def pinyin(text: str) -> str:
    """Each run of Chinese characters as toneless pinyin without spaces ("wangxiaoming");
    empty when the text has none."""
    runs: list[str] = []
    current: list[str] = []
    for ch in _visible(text) + " ":
        if _is_han(ch):
            current.append(ch)
        elif current:
            runs.append("".join(lazy_pinyin("".join(current))))
            current = []
    return " ".join(runs)


def words(query: str) -> list[str]:
    return fold(query).split()


def search_text(*parts: str) -> str:
    folded = [fold(p) for p in parts if p]
    spoken = pinyin(parts[0]) if parts else ""
    if spoken:
        folded.append(spoken)
    return " | ".join(folded)[:700]


def whole_number(text: str, maximum: int = MAX_ID) -> int | None:
    """``text`` as a whole number from 0 to ``maximum`` in ASCII digits, else None (an id,
    a day, a capacity). ``str.isdigit`` also accepts ``²`` and other scripts' digits,
    which ``int()`` then refuses or reads differently."""
    text = text.strip()
    if not text or len(text) > len(str(maximum)) or not set(text) <= _DIGITS:
        return None
    value = int(text)
    return value if value <= maximum else None
