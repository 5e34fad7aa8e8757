"""Badges: issue and reissue, revoke, QR images, the printable badge, sending it."""

from __future__ import annotations

from flask import Blueprint, Response

from shared.schemas import BadgeOut

from .. import presenters
from ..access import STAFF
from ..errors import ValidationFailed
from ..services.event import setup
from ..services.issuing import badges
from ..services.people import attendees
from .auth import Principal
from .registry import endpoint
from .schemas import DeliveryOut, RevokeIn

bp = Blueprint("badges", __name__)


@endpoint(bp, "/attendees/<int:attendee_id>/badge", "POST", roles=STAFF, response=BadgeOut,
          status=201, summary="Issue a badge, or reissue it (new revision; the old code is revoked)")
def issue(who: Principal, attendee_id: int) -> BadgeOut:
    event = setup.current_event()
    attendee = attendees.get(event, attendee_id)
    badge = badges.issue(event, [attendee], actor=who.name, reissue=True)[0]
    return presenters.badge_out(event, badge, with_code=True)


@endpoint(bp, "/badges/<int:badge_id>", "GET", roles=STAFF, response=BadgeOut, summary="A badge")
def get_badge(who: Principal, badge_id: int) -> BadgeOut:
    event = setup.current_event()
    return presenters.badge_out(event, badges.get(event, badge_id))


@endpoint(bp, "/badges/<int:badge_id>/revoke", "POST", roles=STAFF, body=RevokeIn,
          body_optional=True, response=BadgeOut, summary="Revoke a badge (lost, stolen, withdrawn)")
def revoke(who: Principal, badge_id: int, body: RevokeIn) -> BadgeOut:
    if not body.reason.strip():
        raise ValidationFailed("say why the badge is revoked",
                               details=[{"field": "reason", "message": "required"}])
    event = setup.current_event()
    badge = badges.revoke(event, badges.get(event, badge_id), actor=who.name,
                          reason=body.reason.strip())
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


@endpoint(bp, "/attendees/<int:attendee_id>/send-badge", "POST", roles=STAFF,
          response=DeliveryOut, summary="Email this attendee's current badge now")
def send_badge(who: Principal, attendee_id: int) -> DeliveryOut:
    from ..services.mail import delivery

    attendee = delivery.send_now(setup.current_event(), attendee_id, actor=who.name)
    return DeliveryOut(attendee_id=attendee_id, state=attendee.mail_state,
                       revision=attendee.mail_revision, error=attendee.mail_error)


@endpoint(bp, "/badges/<int:badge_id>/badge.pdf", "GET", roles=STAFF,
          content_type="application/pdf", summary="The printable badge (A6 PDF)")
def badge_pdf(who: Principal, badge_id: int) -> Response:
    from ..services.issuing.badge_pdf import render_badges_pdf
    from ..services.mail import delivery

    event = setup.current_event()
    badge = badges.get(event, badge_id)
    attendee = attendees.get(event, badge.attendee_id)
    pdf = render_badges_pdf([delivery.badge_print(event, attendee)], layout="a6")
    return Response(pdf, mimetype="application/pdf")
