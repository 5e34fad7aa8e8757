"""A short-lived per-process copy of what every scan reads but almost never changes:
the event and its gates (with their zones).

Two statements fewer per scan. It is a cache, not state: any process may drop it, and
it lives ``TTL_S`` seconds, so a gate created or changed elsewhere is seen within that
time (an unknown gate name is always looked up at once). Signing keys are NOT cached: a
retired key must stop working on every worker immediately.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from ...extensions import db
from ...models import Event, Gate
from ..event import events, setup

TTL_S = 2.0


@dataclass
class _Snapshot:
    at: float
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


def event_and_gate(gate_ref: str) -> tuple[Event, Gate]:
    key = events.selector()
    now = time.monotonic()
    with _lock:
        snap = _snapshots.get(key)
        snap = snap if snap is not None and now - snap.at < TTL_S else None
    if snap is None:
        event = setup.current_event()
        _detach(event)
        snap = _Snapshot(now, event)
        with _lock:
            _snapshots[key] = snap
    gate = snap.gates.get(gate_ref)
    if gate is None:
        gate = setup.resolve_gate(snap.event, gate_ref)
        _detach(gate, gate.zone)
        with _lock:
            snap.gates[gate_ref] = gate
    return snap.event, gate


def clear() -> None:
    with _lock:
        _snapshots.clear()
