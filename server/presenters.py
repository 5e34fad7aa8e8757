"""Models to API shapes, shared by the JSON API and the dashboard."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from shared import (
    REASON_TEXT,
    Direction,
    Reason,
    Verdict,
    day_offsets_of,
    format_badge_number,
    slots_of,
)
from shared.schemas import (
    AccessLevelOut,
    AttendeeBrief,
    AttendeeOut,
    BadgeBrief,
    BadgeOut,
    DeviceOut,
    GateOut,
    PresenceOut,
    ScanLogEntry,
    ScanOut,
    ZoneOut,
)

from .extensions import db
from .models import AccessLevel, ApiToken, Attendee, Badge, Event, Gate, Presence, Scan, Zone
from .services.entry.checkin import ScanResult
from .services.event import setup
from .services.people import attendees


def zone_out(zone: Zone, occupancy: dict[int, int]) -> ZoneOut:
    return ZoneOut(id=zone.id, name=zone.name, slot=zone.slot, capacity=zone.capacity,
                   allow_reentry=zone.allow_reentry, occupancy=occupancy.get(zone.id, 0),
                   active=zone.active)


def gate_out(gate: Gate) -> GateOut:
    return GateOut(id=gate.id, name=gate.name, zone=gate.zone.name, zone_id=gate.zone_id,
                   zone_slot=gate.zone.slot, direction=Direction(gate.direction),
                   active=gate.active)


def level_out(event: Event, level: AccessLevel) -> AccessLevelOut:
    return AccessLevelOut(id=level.id, name=level.name, colour=level.colour,
                          zones=[z.name for z in level.zones],
                          days=setup.offsets_to_dates(event, level.day_offsets),
                          active=level.active)


def badge_out(event: Event, badge: Badge, with_code: bool = False) -> BadgeOut:
    zones = {z.slot: z.name for z in setup.list_zones(event)}
    return BadgeOut(
        id=badge.id, number=format_badge_number(badge.id), revision=badge.revision,
        status=badge.status, key_id=badge.key_id,
        zones=[zones[s] for s in sorted(zones) if s in slots_of(badge.zone_mask)],
        days=setup.offsets_to_dates(event, day_offsets_of(badge.day_mask)),
        issued_at=badge.issued_at, code=badge.code if with_code else None,
    )


def presence_of(event: Event, attendee: Attendee) -> list[PresenceOut]:
    day = setup.today(event)
    rows = db.session.execute(
        select(Presence, Zone.name, Gate.name)
        .join(Zone, Zone.id == Presence.zone_id)
        .outerjoin(Gate, Gate.id == Presence.gate_id)
        .where(Presence.attendee_id == attendee.id, Presence.inside.is_(True), Presence.day == day)
    ).all()
    return [PresenceOut(zone=zone, since=p.since, gate=gate or "") for p, zone, gate in rows]


def attendee_out(event: Event, attendee: Attendee) -> AttendeeOut:
    return AttendeeOut(
        id=attendee.id, name=attendee.name, email=attendee.email,
        organization=attendee.organization, country=attendee.country,
        language=attendee.language, access_level=attendee.access_level.name,
        zones=[z.name for z in attendee.access_level.zones],
        days=attendees.days_of(event, attendee), external_id=attendee.external_id,
        badge=badge_out(event, attendee.badge) if attendee.badge else None,
        inside=presence_of(event, attendee),
    )


def scan_out(result: ScanResult) -> ScanOut:
    scan, attendee, badge = result.scan, result.attendee, result.badge
    return ScanOut(
        scan_id=uuid.UUID(scan.scan_id), verdict=Verdict(scan.verdict), reason=Reason(scan.reason),
        message=REASON_TEXT[Reason(scan.reason)], gate=result.gate.name,
        zone=result.gate.zone.name, direction=Direction(scan.direction),
        scanned_at=scan.scanned_at,
        attendee=AttendeeBrief(id=attendee.id, name=attendee.name,
                               organization=attendee.organization, country=attendee.country,
                               access_level=attendee.access_level) if attendee else None,
        badge=BadgeBrief(id=badge.id, number=format_badge_number(badge.id),
                         revision=badge.revision, status=badge.status) if badge else None,
        duplicate=result.duplicate, conflict=scan.conflict,
    )


def scan_log_entries(rows: list[tuple[Scan, str, str, str | None, str | None]]) -> list[ScanLogEntry]:
    return [
        ScanLogEntry(
            scan_id=uuid.UUID(s.scan_id), verdict=Verdict(s.verdict), reason=Reason(s.reason),
            mode=s.mode, gate=gate, zone=zone, direction=Direction(s.direction),  # type: ignore[arg-type]
            scanned_at=s.scanned_at, received_at=s.received_at, device=device,
            badge_id=s.badge_id, attendee_id=s.attendee_id, attendee_name=name, code=s.code,
            offline_verdict=Verdict(s.verdict) if s.mode == "offline" else None,
            offline_reason=Reason(s.reason) if s.mode == "offline" else None,
            conflict=s.conflict, server_reason=Reason(s.server_reason), actor=s.actor,
            note=s.note, annuls=uuid.UUID(s.annuls) if s.annuls else None,
        )
        for s, gate, zone, device, name in rows
    ]


def device_out(device: ApiToken, token: str | None = None) -> DeviceOut:
    return DeviceOut(
        id=device.id, name=device.name, role=device.role,
        gate=device.gate.name if device.gate else None, created_at=device.created_at,
        revoked_at=device.revoked_at, last_seen_at=device.last_seen_at,
        queued_scans=device.queued_scans, last_sync_at=device.last_sync_at,
        clock_skew_s=device.clock_skew_s, token=token,
    )
