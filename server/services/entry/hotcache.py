"""A per-process copy of what every scan reads but almost never changes: the event and
its gates (with their zones).

It is a cache, not state: any process may drop it. It is keyed by the ``setup`` row of
``cache_versions``, which every transaction that changes an event, zone, gate or access
level bumps before it commits (a flush hook, below), so every process of every instance
sees a change at its next scan, not after a timer; reading the version is one primary-key
read (an unknown gate name is always looked up at once). Signing keys are cached apart
(issuing.keycache), checked against the keys' version inside every scan's locking
statement: a retired key stops working on every worker at its next scan.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ...extensions import db
from ...models import AccessLevel, CacheVersion, Event, Gate, Zone
from ..event import events, setup

SETUP = "setup"
_SETUP_MODELS = (Event, Zone, Gate, AccessLevel)


@dataclass
class _Snapshot:
    version: int
    event: Event
    gates: dict[str, Gate] = field(default_factory=dict)


_lock = threading.Lock()
# One snapshot per event selector (a device's event, ``?event=``, or None = default).
_snapshots: dict[int | None, _Snapshot] = {}


def _detach(*objects: object) -> None:
    # Detached with everything loaded: later rollbacks of this request's session cannot
    # expire them, and other requests read them without touching the database.
    for obj in objects:
        if obj in db.session:
            db.session.expunge(obj)


def setup_version() -> int:
    return int(db.session.scalar(select(CacheVersion.version).where(CacheVersion.name == SETUP))
               or 0)


def event_and_gate(gate_ref: str, version: int | None = None) -> tuple[Event, Gate]:
    """The event and gate a scan names. ``version``: the setup version if the caller has
    just read it (a device's authentication reads it in the same statement), saving the
    scan a round trip."""
    key = events.selector()
    version = setup_version() if version is None else version
    with _lock:
        snap = _snapshots.get(key)
        snap = snap if snap is not None and snap.version == version else None
    if snap is None:
        event = setup.current_event()
        _detach(event)
        snap = _Snapshot(version, event)
        with _lock:
            _snapshots[key] = snap
    gate = snap.gates.get(gate_ref)
    if gate is None:
        gate = setup.resolve_gate(snap.event, gate_ref)
        _detach(gate, gate.zone)
        with _lock:
            snap.gates[gate_ref] = gate
    return snap.event, gate


def cached(selector: int | None, gate_ref: str) -> tuple[int, Event, Gate] | None:
    """The version, event and gate from this process's copy alone, or None (not loaded
    yet): the scan lane then hands the scan to the full path, which loads them. The
    caller compares the version with the one it read."""
    with _lock:
        snap = _snapshots.get(selector)
        gate = snap.gates.get(gate_ref) if snap is not None else None
    return (snap.version, snap.event, gate) if snap is not None and gate is not None else None


def clear() -> None:
    with _lock:
        _snapshots.clear()


@sa_event.listens_for(Session, "before_flush")
def _bump_on_setup_change(session: Session, _context: Any, _instances: Any) -> None:
    """Same transaction as the change: a reader sees the new version with the new rows."""
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, _SETUP_MODELS) for obj in changed):
        session.execute(update(CacheVersion).where(CacheVersion.name == SETUP)
                        .values(version=CacheVersion.version + 1))
