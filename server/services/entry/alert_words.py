"""Alert messages security can act on: a double admit names both gates and both devices."""

from __future__ import annotations

from sqlalchemy import select

from ...extensions import db
from ...models import ApiToken, Gate, Scan


def _where(gate_id: int, device_id: int | None) -> str:
    gate = db.session.get(Gate, gate_id)
    device = db.session.get(ApiToken, device_id) if device_id else None
    return f"{gate.name if gate else f'gate {gate_id}'} ({device.name if device else 'no device'})"


def double_admit(scan: Scan) -> str:
    """'at Gate A (laptop 1) and at Gate B (laptop 2)': the admit that put the person
    inside, and this one."""
    other = db.session.scalars(
        select(Scan).where(Scan.attendee_id == scan.attendee_id, Scan.zone_id == scan.zone_id,
                           Scan.verdict == "admit", Scan.direction == "in",
                           Scan.scan_id != scan.scan_id)
        .order_by(Scan.scanned_at.desc()).limit(1)).first()
    here = _where(scan.gate_id, scan.device_id)
    if other is None:
        return f"at {here}"
    return f"at {_where(other.gate_id, other.device_id)} and at {here}"
