"""The event's public key ring, kept per process and checked against the database on
every scan without a round trip of its own.

Keys are only ever added (a new, higher key id) or retired, never edited or brought
back, so two numbers name the set of valid keys: how many are unretired and the highest
key id. The check-in's locking statement reads both beside the badge row
(``version_columns``); when they differ from the cached ring's, the ring is reloaded
before anything is decided, so a retired key stops verifying on every worker at its
next scan, as before. A code that fails with ``unknown_key`` (perhaps signed by a key
newer than this process's ring) checks the version by itself.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from sqlalchemy import ColumnElement, func, select

from shared import KeyRing

from ...extensions import db
from ...models import Event, SigningKeyRecord
from . import keys

_KEYS = SigningKeyRecord.__table__
KeysVersion = tuple[int, int]  # (unretired keys, highest key id)


class VersionedRing(KeyRing):
    version: KeysVersion


_lock = threading.Lock()
# Keyed by database too: one process may serve several (the tests run SQLite and
# PostgreSQL apps side by side), and event ids repeat across databases.
_rings: dict[tuple[str, int], VersionedRing] = {}


_databases: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def _key(event: Event) -> tuple[str, int]:
    engine = db.engine
    name = _databases.get(engine)
    if name is None:  # rendering the URL costs more than the rest of the lookup
        name = _databases[engine] = str(engine.url)
    return name, event.id


def version_columns(event_id: Any) -> tuple[ColumnElement[int], ColumnElement[int]]:
    """Two scalar subqueries for a statement's select list: the keys' version."""
    live = (select(func.count()).select_from(_KEYS)
            .where(_KEYS.c.event_id == event_id, _KEYS.c.retired_at.is_(None))
            .scalar_subquery().label("keys_live"))
    top = (select(func.coalesce(func.max(_KEYS.c.key_id), 0))
           .where(_KEYS.c.event_id == event_id).scalar_subquery().label("keys_top"))
    return live, top


def current_version(event: Event) -> KeysVersion:
    row = db.session.execute(select(*version_columns(event.id))).one()
    return int(row[0]), int(row[1])


def ring(event: Event) -> VersionedRing:
    """The cached ring (loaded on first use, or when the event's first day moved)."""
    with _lock:
        cached = _rings.get(_key(event))
    if cached is None or cached.day_zero != event.start_date:
        cached = reload(event)
    return cached


def cached(event: Event) -> VersionedRing | None:
    """The ring this process holds for the event, without touching the database."""
    with _lock:
        held = _rings.get(_key(event))
    return held if held is not None and held.day_zero == event.start_date else None


def reload(event: Event) -> VersionedRing:
    version = current_version(event)
    fresh = keys.keyring(event)
    loaded = VersionedRing(fresh, fresh.day_zero)
    loaded.version = version
    with _lock:
        _rings[_key(event)] = loaded
    return loaded


def is_current(cached: KeyRing, version: KeysVersion) -> bool:
    return isinstance(cached, VersionedRing) and cached.version == version


def clear() -> None:
    with _lock:
        _rings.clear()
