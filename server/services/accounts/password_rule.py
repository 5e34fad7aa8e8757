"""The password rule for dashboard users: at least 12 characters and not a common one.

``server/data/common-passwords.txt.gz`` is the list Django ships (20,000 common
passwords, lowercased; compiled by Royce Williams, BSD licence as part of Django); only
its entries of 12 characters or more can matter, and those are kept in memory.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from ...errors import ValidationFailed

MIN_LENGTH = 12
LIST_PATH = Path(__file__).resolve().parents[2] / "data" / "common-passwords.txt.gz"


@cache
def _common() -> frozenset[str]:
    with gzip.open(LIST_PATH, "rt", encoding="utf-8") as lines:
        return frozenset(w for w in (line.strip() for line in lines) if len(w) >= MIN_LENGTH)


def check(password: str, email: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(f"passwords have at least {MIN_LENGTH} characters",
                               details=[{"field": "password", "message": "too short"}])
    lowered = password.strip().lower()
    local = email.partition("@")[0].lower()
    if lowered in _common() or (local and lowered in {local, email.lower()}):
        raise ValidationFailed("this password is too common; choose another",
                               details=[{"field": "password", "message": "too common"}])
