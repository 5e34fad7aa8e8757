"""Issuing, reissuing and revoking badges, and drawing their QR codes."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import zxingcpp
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from shared import (
    MAX_DAYS,
    MAX_ID,
    BadBadgeNumber,
    BadgeClaims,
    NotABadge,
    SigningKey,
    encode_token,
    format_badge_number,
    mask_of,
    parse_badge_number,
    parse_token,
    seal_record,
)

from ...errors import Conflict, NotFound
from ...extensions import db
from ...models import Attendee, Badge, Event, utcnow
from ..accounts import audit
from ..db import transactional
from ..event import setup, sync
from . import keys

_MAX_REVISION = 255  # one byte in the token
ISSUE_CHUNK = 200


def effective_offsets(attendee: Attendee) -> list[int]:
    if attendee.day_offsets is not None:
        return list(attendee.day_offsets)
    return list(attendee.access_level.day_offsets)


def zone_mask(attendee: Attendee) -> int:
    return mask_of(zone.slot for zone in attendee.access_level.zones)


def personal_fields(attendee: Attendee) -> dict[str, str]:
    """What a gate may show once the badge itself is presented (sealed to its code)."""
    return {
        "name": attendee.name,
        "organization": attendee.organization,
        "country": attendee.country,
        "access_level": attendee.access_level.name,
        "colour": attendee.access_level.colour,
        "attendee_id": str(attendee.id),
    }


def _sign(event: Event, badge: Badge, attendee: Attendee, key: SigningKey) -> None:
    offsets = effective_offsets(attendee)
    claims = BadgeClaims(
        key_id=key.key_id,
        badge_id=badge.id,
        revision=badge.revision,
        valid_days=frozenset(setup.offsets_to_dates(event, offsets)),
        zone_slots=frozenset(z.slot for z in attendee.access_level.zones),
    )
    badge.key_id = key.key_id
    badge.zone_mask = zone_mask(attendee)
    badge.day_mask = mask_of(offsets, MAX_DAYS)
    badge.code = encode_token(claims, key, event.start_date)
    badge.sealed = seal_record(badge.code, personal_fields(attendee))
    badge.issued_at = utcnow()


@transactional
def issue(event: Event, attendees: Sequence[Attendee], *, actor: str, reissue: bool) -> list[Badge]:
    """Issue a first badge to each attendee without one; with ``reissue`` also give a
    new revision to those that have one (the older code is then revoked everywhere)."""
    changed: list[Badge] = []
    fresh: list[tuple[Badge, Attendee]] = []
    key = keys.signing_key(event, actor=actor)  # once: it is a query and maybe a decryption
    for attendee in attendees:
        if attendee.deleted_at is not None:
            raise Conflict(f"attendee {attendee.id} was deleted")
        badge = attendee.badge
        if badge is None:
            badge = Badge(event_id=event.id, attendee_id=attendee.id, revision=1, key_id=0,
                          zone_mask=0, day_mask=0, code="", sealed="")
            attendee.badge = badge
            db.session.add(badge)
            fresh.append((badge, attendee))
            continue
        if not reissue:
            continue
        if badge.revision >= _MAX_REVISION:
            raise Conflict(f"badge {badge.id} has been reissued too often")
        badge.revision += 1
        badge.status = "active"
        badge.revoked_at = None
        badge.revoke_reason = None
        _sign(event, badge, attendee, key)
        changed.append(badge)
    if fresh:
        db.session.flush()  # badge ids go into the signed code
        for badge, attendee in fresh:
            _sign(event, badge, attendee, key)
            changed.append(badge)
    if changed:
        sync.stamp(changed)
        if len(changed) == 1:
            audit.record(actor, "badge.issue", f"badge:{changed[0].id}",
                         revision=changed[0].revision)
        else:
            audit.record(actor, "badge.issue_many", "", count=len(changed))
    return changed


def issue_all(event: Event, *, actor: str, reissue: bool) -> int:
    """Bulk issuing: a badge for everyone without one (with ``reissue``, a new revision
    for everyone). Each chunk of ``ISSUE_CHUNK`` attendees is its own commit, so a long
    run holds the write lock briefly and an interrupted one keeps what it finished."""
    query = select(Attendee.id).where(Attendee.event_id == event.id, Attendee.deleted_at.is_(None))
    if not reissue:
        query = query.where(~Attendee.badge.has())
    ids = list(db.session.scalars(query.order_by(Attendee.id)))
    return sum(len(_issue_chunk(event, ids[start:start + ISSUE_CHUNK], actor=actor, reissue=reissue))
               for start in range(0, len(ids), ISSUE_CHUNK))


@transactional
def _issue_chunk(event: Event, ids: list[int], *, actor: str, reissue: bool) -> list[Badge]:
    people = db.session.scalars(select(Attendee).where(Attendee.id.in_(ids))
                                .options(selectinload(Attendee.badge)).order_by(Attendee.id))
    return issue(event, list(people.unique()), actor=actor, reissue=reissue)


def reseal(event: Event, attendee: Attendee) -> None:
    """Personal fields changed: the gate's sealed record follows at its next sync."""
    if attendee.badge is not None:
        attendee.badge.sealed = seal_record(attendee.badge.code, personal_fields(attendee))
        sync.stamp([attendee.badge])


def get(event: Event, badge_id: int) -> Badge:
    badge = db.session.get(Badge, badge_id) if 0 < badge_id <= MAX_ID else None
    if badge is None or badge.event_id != event.id or badge.status == "erased":
        raise NotFound(f"no badge {badge_id}")
    return badge


def by_code_or_number(event: Event, text: str) -> Badge | None:
    """A badge from a scanned code or a typed badge number (manual entry, lookup)."""
    badge_id: int | None = None
    try:
        badge_id = parse_token(text, event.start_date).claims.badge_id
    except NotABadge:
        try:
            badge_id = parse_badge_number(text)
        except BadBadgeNumber:
            return None
    if not 0 < badge_id <= MAX_ID:
        return None
    badge = db.session.get(Badge, badge_id)
    return badge if badge is not None and badge.event_id == event.id else None


@transactional
def revoke(event: Event, badge: Badge, *, actor: str, reason: str = "") -> Badge:
    if badge.status != "revoked":
        badge.status = "revoked"
        badge.revoked_at = utcnow()
        badge.revoke_reason = reason or None
        sync.stamp([badge])
        audit.record(actor, "badge.revoke", f"badge:{badge.id}", reason=reason,
                     revision=badge.revision)
    return badge


def attendees_without_badge(event: Event) -> list[Attendee]:
    return list(
        db.session.scalars(
            select(Attendee)
            .where(
                Attendee.event_id == event.id,
                Attendee.deleted_at.is_(None),
                ~Attendee.badge.has(),
            )
            # loaded up front: issue() reads attendee.badge, one query each otherwise
            .options(selectinload(Attendee.badge))
        ).unique()
    )


def number(badge: Badge) -> str:
    return format_badge_number(badge.id)


def _symbol(code: str) -> zxingcpp.Barcode:
    # zxing-cpp's C++ encoder: three times faster than a pure-Python one, and the same
    # symbol (alphanumeric mode, error correction M, version 5 for a badge token).
    return zxingcpp.create_barcode(code, zxingcpp.BarcodeFormat.QRCode, ec_level="M")


def qr_png(code: str, scale: int = 8) -> bytes:
    pixels = np.asarray(_symbol(code).to_image(scale=scale, add_quiet_zones=True))
    out = io.BytesIO()
    Image.fromarray(pixels).convert("1").save(out, format="PNG")
    return out.getvalue()


def qr_svg(code: str, scale: int = 8) -> bytes:
    return _symbol(code).to_svg(scale=scale, add_quiet_zones=True).encode()
