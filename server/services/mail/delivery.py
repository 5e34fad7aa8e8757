"""Badge delivery by email: at-least-once at the SMTP boundary, never twice by design.

Each attendee's delivery state is committed before and after every send, and each
badge mail carries a Message-ID fixed per attendee and badge revision. A rerun after a
crash or Ctrl-C therefore sends only what was not confirmed; the one message that may
have been in flight at the crash goes again with the same Message-ID, which mailboxes
collapse. A reissued badge (new revision) is due again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import or_, select

from shared import format_badge_number, slots_of

from ...errors import Conflict, MailError
from ...extensions import db
from ...models import Attendee, Badge, Event, utcnow
from ..accounts import audit
from ..db import transactional
from ..event import setup
from ..issuing.badge_pdf import BadgePrint, render_badges_pdf
from ..people import attendees
from .compose import BadgeMail, compose_badge_email
from .transport import TRANSPORTS, MailTransport

SENT, SENDING, FAILED, REJECTED, PENDING = "sent", "sending", "failed", "rejected", "pending"


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    rejected: int = 0
    skipped: int = 0
    interrupted: bool = False


def make_transport() -> MailTransport:
    cfg = current_app.config
    if cfg.get("SMTP_HOST"):
        return TRANSPORTS["smtp"](
            cfg["SMTP_HOST"], int(cfg["SMTP_PORT"]), security=cfg.get("SMTP_TLS", "none"),
            user=cfg.get("SMTP_USER"), password=cfg.get("SMTP_PASSWORD"),
        )
    return TRANSPORTS["outbox"](Path(cfg["OUTBOX_DIR"]))


def message_id(event: Event, attendee: Attendee, revision: int) -> str:
    domain = current_app.config["MAIL_FROM"].rsplit("@", 1)[-1].strip("> ") or "admit.local"
    return f"<badge-e{event.id}-a{attendee.id}-r{revision}@{domain}>"


def badge_print(event: Event, attendee: Attendee) -> BadgePrint:
    badge = attendee.badge
    if badge is None:
        raise Conflict(f"attendee {attendee.id} has no badge yet", code="no_badge")
    zones = {z.slot: z.name for z in setup.list_zones(event)}
    return BadgePrint(
        name=attendee.name, organization=attendee.organization, country=attendee.country,
        access_level=attendee.access_level.name, level_colour=attendee.access_level.colour,
        zones=tuple(zones[s] for s in sorted(zones) if s in slots_of(badge.zone_mask)),
        days=tuple(attendees.days_of(event, attendee)),
        badge_number=format_badge_number(badge.id),
        qr_text=badge.code, event_name=event.name, language=attendee.language,
    )


def badge_mail(event: Event, attendee: Attendee) -> BadgeMail:
    return BadgeMail(
        to_email=attendee.email, to_name=attendee.name, language=attendee.language,
        event_name=event.name,
        event_dates=f"{event.start_date:%d %b %Y} – {event.end_date:%d %b %Y}",
        venue=event.venue, practical_info=event.practical_info,
        badge=badge_print(event, attendee),
    )


def due(event: Event, only: list[int] | None = None, resend: bool = False) -> list[int]:
    """Attendees whose current badge revision has not been confirmed as sent."""
    query = (
        select(Attendee.id)
        .join(Badge, Badge.attendee_id == Attendee.id)
        .where(Attendee.event_id == event.id, Attendee.deleted_at.is_(None),
               Badge.status == "active")
        .order_by(Attendee.id)
    )
    if only is not None:
        query = query.where(Attendee.id.in_(only))
    if not resend:
        query = query.where(or_(
            Attendee.mail_state.in_((PENDING, SENDING, FAILED)),
            Attendee.mail_revision.is_(None),
            Attendee.mail_revision != Badge.revision,
        ))
        query = query.where(Attendee.mail_state != REJECTED)
    return list(db.session.scalars(query))


@transactional
def _mark(attendee_id: int, state: str, error: str | None = None, revision: int | None = None,
          count_attempt: bool = False) -> None:
    """Committed before and after every send: a rerun sees what was confirmed."""
    attendee = db.session.get(Attendee, attendee_id)
    assert attendee is not None
    attendee.mail_state = state
    attendee.mail_error = error
    if revision is not None:
        attendee.mail_revision = revision
    if count_attempt:
        attendee.mail_attempts += 1
    if state == SENT:
        attendee.mail_sent_at = utcnow()


@transactional
def _audit(actor: str, action: str, target: str, **details: object) -> None:
    audit.record(actor, action, target, **details)


def send_one(event: Event, attendee_id: int, transport: MailTransport, *,
             retries: int = 4, backoff_s: float = 1.0) -> str:
    """Send one attendee's badge; returns the final state (sent, failed, rejected)."""
    attendee = attendees.get(event, attendee_id)
    if attendee.badge is None:
        raise Conflict(f"attendee {attendee_id} has no badge yet", code="no_badge")
    revision = attendee.badge.revision
    mail = badge_mail(event, attendee)
    msg = compose_badge_email(
        mail, sender=current_app.config["MAIL_FROM"],
        message_id=message_id(event, attendee, revision),
        pdf=render_badges_pdf([mail.badge], layout="a6"),
    )
    _mark(attendee_id, SENDING, revision=revision, count_attempt=True)
    for attempt in range(retries + 1):
        try:
            transport.send(msg)
        except MailError as exc:
            if not exc.temporary:
                _mark(attendee_id, REJECTED, error=exc.message[:500])
                return REJECTED
            if attempt == retries:
                _mark(attendee_id, FAILED, error=exc.message[:500])
                return FAILED
            # Back off before retrying a temporary failure (4xx, dropped connection).
            time.sleep(backoff_s * 2**attempt)
            continue
        _mark(attendee_id, SENT)
        return SENT
    return FAILED


@contextmanager
def _interruptible() -> Iterator[list[bool]]:
    """Ctrl-C finishes the message in hand, records it, then stops the run."""
    import signal

    flag = [False]
    previous = signal.getsignal(signal.SIGINT)

    def handler(_sig: int, _frame: object) -> None:
        flag[0] = True

    try:
        signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield flag
        return
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def send_all(event: Event, ids: list[int], transport: MailTransport, *,
             rate_per_s: float = 10.0, retries: int = 4, backoff_s: float = 1.0,
             on_progress: Callable[[int, str], None] | None = None,
             actor: str) -> DeliveryReport:
    """Send to each attendee in turn; each send's state is its own commit (see _mark)."""
    report = DeliveryReport()
    interval = 1.0 / rate_per_s if rate_per_s > 0 else 0.0
    next_at = time.monotonic()
    with _interruptible() as stop:
        for attendee_id in ids:
            if stop[0]:
                report.interrupted = True
                break
            wait = next_at - time.monotonic()
            if wait > 0:
                time.sleep(wait)  # rate limit, agreed with the mail provider
            next_at = max(next_at, time.monotonic()) + interval
            state = send_one(event, attendee_id, transport, retries=retries, backoff_s=backoff_s)
            setattr(report, state if state != SENT else "sent", getattr(report, state) + 1)
            if on_progress is not None:
                on_progress(attendee_id, state)
    _audit(actor, "mail.send_badges", "", sent=report.sent, failed=report.failed,
           rejected=report.rejected, interrupted=report.interrupted)
    return report


def send_now(event: Event, attendee_id: int, *, actor: str) -> Attendee:
    """One attendee's current badge, now (dashboard button, API): returns the attendee
    with its recorded delivery state."""
    transport = make_transport()
    try:
        state = send_one(event, attendees.get(event, attendee_id).id, transport,
                         retries=1, backoff_s=0.5)
    finally:
        transport.close()
    _audit(actor, "mail.send_badge", f"attendee:{attendee_id}", state=state)
    return attendees.get(event, attendee_id)
