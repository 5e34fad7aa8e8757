"""Day and zone bit masks, the one place that turns slots into bits and back.

A badge token carries its zones as a 32-bit mask of per-event zone slots and its days as
a 16-bit mask of offsets from the event's first day; the database and the gate's cache
store the same integers. Every conversion goes through here so the widths and the bit
order cannot drift apart between server, gate and token.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

MAX_DAYS = 16
MAX_ZONE_SLOTS = 32
MAX_ID = 2**31 - 1  # ids are 32-bit signed integers in the database (PostgreSQL integer)


def mask_of(slots: Iterable[int], width: int = MAX_ZONE_SLOTS) -> int:
    """The mask with a bit set for each slot; a slot outside ``0..width-1`` is a ValueError."""
    mask = 0
    for slot in slots:
        if not 0 <= slot < width:
            raise ValueError(f"slot {slot} outside 0..{width - 1}")
        mask |= 1 << slot
    return mask


@functools.lru_cache(maxsize=4096)  # every scan asks for a handful of masks, over and over
def slots_of(mask: int, width: int = MAX_ZONE_SLOTS) -> frozenset[int]:
    """The slots whose bit is set, ignoring bits at or beyond ``width``."""
    return frozenset(i for i in range(width) if mask >> i & 1)


def day_offsets_of(mask: int) -> list[int]:
    """Day offsets (from the event's first day) in ascending order."""
    return sorted(slots_of(mask, MAX_DAYS))


def days_mask(days: Iterable[dt.date], day_zero: dt.date) -> int:
    """Mask of calendar days counted from ``day_zero``; ValueError outside the 16 days."""
    offsets = []
    for day in days:
        offset = (day - day_zero).days
        if not 0 <= offset < MAX_DAYS:
            raise ValueError(f"{day} is outside the {MAX_DAYS} days from {day_zero}")
        offsets.append(offset)
    return mask_of(offsets, MAX_DAYS)


@functools.lru_cache(maxsize=4096)
def days_of(mask: int, day_zero: dt.date) -> frozenset[dt.date]:
    return frozenset(day_zero + dt.timedelta(days=i) for i in slots_of(mask, MAX_DAYS))
