"""Badges: issue and reissue, revoke, QR images; signing keys; alerts; occupancy."""

from __future__ import annotations

from flask import Blueprint, Response
from pydantic import BaseModel, Field

from shared.schemas import BadgeOut, CleanStr, PresenceOut

from .. import presenters
from ..errors import NotFound
from ..services import alerts, attendees, badges, keys, setup
from ..services.db import write
from .auth import Principal
from .registry import ADMIN, STAFF, endpoint

bp = Blueprint("badges", __name__)


class RevokeIn(BaseModel):
    reason: CleanStr = Field(default="", max_length=300)


class KeyInfo(BaseModel):
    key_id: int
    active: bool
    encrypted: bool


class KeyList(BaseModel):
    keys: list[KeyInfo]


class RotateIn(BaseModel):
    retire_previous: bool = False


class AlertOut(BaseModel):
    id: int
    kind: str
    message: str
    scan_id: str
    attendee_id: int | None
    badge_id: int | None
    created_at: str
    acknowledged_by: str | None


class AlertList(BaseModel):
    alerts: list[AlertOut]


class AlertQuery(BaseModel):
    all: bool = False


class AckIn(BaseModel):
    note: CleanStr = Field(default="", max_length=300)


class InsideEntry(BaseModel):
    attendee_id: int
    name: str
    organization: str
    access_level: str
    presence: PresenceOut


class InsideList(BaseModel):
    zone: str
    people: list[InsideEntry]


@endpoint(bp, "/attendees/<int:attendee_id>/badge", "POST", roles=STAFF, response=BadgeOut,
          status=201, summary="Issue a badge, or reissue it (new revision; the old code is revoked)")
def issue(who: Principal, attendee_id: int) -> BadgeOut:
    event = setup.current_event()

    def run() -> BadgeOut:
        attendee = attendees.get(event, attendee_id)
        badges.issue(event, [attendee], who.name, reissue=True)
        assert attendee.badge is not None
        return presenters.badge_out(event, attendee.badge, with_code=True)

    return write(run)


@endpoint(bp, "/badges/<int:badge_id>", "GET", roles=STAFF, response=BadgeOut, summary="A badge")
def get_badge(who: Principal, badge_id: int) -> BadgeOut:
    event = setup.current_event()
    return presenters.badge_out(event, badges.get(event, badge_id))


@endpoint(bp, "/badges/<int:badge_id>/revoke", "POST", roles=STAFF, body=RevokeIn,
          body_optional=True, response=BadgeOut, summary="Revoke a badge (lost, stolen, withdrawn)")
def revoke(who: Principal, badge_id: int, body: RevokeIn) -> BadgeOut:
    event = setup.current_event()
    badge = write(lambda: badges.revoke(event, badges.get(event, badge_id), who.name, body.reason))
    return presenters.badge_out(event, badge)


@endpoint(bp, "/badges/<int:badge_id>/qr.png", "GET", roles=STAFF, content_type="image/png",
          summary="The badge's QR code as PNG")
def qr_png(who: Principal, badge_id: int) -> Response:
    badge = badges.get(setup.current_event(), badge_id)
    return Response(badges.qr_png(badge.code), mimetype="image/png")


@endpoint(bp, "/badges/<int:badge_id>/qr.svg", "GET", roles=STAFF, content_type="image/svg+xml",
          summary="The badge's QR code as SVG")
def qr_svg(who: Principal, badge_id: int) -> Response:
    badge = badges.get(setup.current_event(), badge_id)
    return Response(badges.qr_svg(badge.code), mimetype="image/svg+xml")


class DeliveryOut(BaseModel):
    attendee_id: int
    state: str
    revision: int | None
    error: str | None


@endpoint(bp, "/attendees/<int:attendee_id>/send-badge", "POST", roles=STAFF,
          response=DeliveryOut, summary="Email this attendee's current badge now")
def send_badge(who: Principal, attendee_id: int) -> DeliveryOut:
    from ..services import delivery

    attendee = delivery.send_now(setup.current_event(), attendee_id, who.name)
    return DeliveryOut(attendee_id=attendee_id, state=attendee.mail_state,
                       revision=attendee.mail_revision, error=attendee.mail_error)


@endpoint(bp, "/badges/<int:badge_id>/badge.pdf", "GET", roles=STAFF,
          content_type="application/pdf", summary="The printable badge (A6 PDF)")
def badge_pdf(who: Principal, badge_id: int) -> Response:
    from ..services import delivery
    from ..services.badge_pdf import render_badges_pdf

    event = setup.current_event()
    badge = badges.get(event, badge_id)
    attendee = attendees.get(event, badge.attendee_id)
    pdf = render_badges_pdf([delivery.badge_print(event, attendee)], layout="a6")
    return Response(pdf, mimetype="application/pdf")


@endpoint(bp, "/keys", "GET", roles=ADMIN, response=KeyList, summary="Signing keys")
def list_keys(who: Principal) -> KeyList:
    event = setup.current_event()
    return KeyList(keys=[KeyInfo(key_id=k.key_id, active=k.retired_at is None, encrypted=k.encrypted)
                         for k in keys.all_keys(event)])


@endpoint(bp, "/keys/rotate", "POST", roles=ADMIN, body=RotateIn, response=KeyList,
          summary="Sign with a new key from now on; optionally retire the older ones")
def rotate(who: Principal, body: RotateIn) -> KeyList:
    event = setup.current_event()
    write(keys.rotate, event, who.name, body.retire_previous)
    return list_keys.__wrapped__(who)  # type: ignore[attr-defined,no-any-return]


@endpoint(bp, "/alerts", "GET", roles=STAFF, query=AlertQuery, response=AlertList,
          summary="Conflicts from offline scans")
def list_alerts(who: Principal, query: AlertQuery) -> AlertList:
    event = setup.current_event()
    return AlertList(alerts=[
        AlertOut(id=a.id, kind=a.kind, message=a.message, scan_id=a.scan_id,
                 attendee_id=a.attendee_id, badge_id=a.badge_id,
                 created_at=a.created_at.isoformat(), acknowledged_by=a.acknowledged_by)
        for a in alerts.list_alerts(event, include_acknowledged=query.all)
    ])


@endpoint(bp, "/alerts/<int:alert_id>/ack", "POST", roles=STAFF, body=AckIn, response=AlertList,
          summary="Acknowledge an alert (recorded with who)")
def ack(who: Principal, alert_id: int, body: AckIn) -> AlertList:
    event = setup.current_event()
    write(alerts.acknowledge, event, alert_id, who.name, body.note)
    return list_alerts.__wrapped__(who, AlertQuery())  # type: ignore[attr-defined,no-any-return]


@endpoint(bp, "/zones/<int:zone_id>/inside", "GET", roles=STAFF, response=InsideList,
          summary="Who is inside this zone now")
def inside(who: Principal, zone_id: int) -> InsideList:
    from ..services import presence

    event = setup.current_event()
    zone = next((z for z in setup.list_zones(event) if z.id == zone_id), None)
    if zone is None:
        raise NotFound(f"no zone {zone_id}")
    people = [
        InsideEntry(attendee_id=a.id, name=a.name, organization=a.organization,
                    access_level=a.access_level.name,
                    presence=PresenceOut(zone=zone.name, since=p.since, gate=gate or ""))
        for a, p, gate in presence.inside_zone(event, zone)
    ]
    return InsideList(zone=zone.name, people=people)
