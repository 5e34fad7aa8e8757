"""The badge email: a plain-text and an HTML body in the attendee's language, the QR code
inline for showing on a phone at the gate, and the printable badge PDF attached.

MIME tree (what mail clients render best, and what Gmail/Outlook/Apple Mail all accept)::

    multipart/mixed
      multipart/alternative
        text/plain
        multipart/related
          text/html          <img src="cid:...">
          image/png          the QR code
      application/pdf        badge-<number>.pdf

Nothing here reaches the network or the database; ``mail_transport`` sends the result.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime
from typing import Any

import jinja2
from markupsafe import Markup, escape

from server.services.issuing.badge_pdf import (
    TEMPLATE_DIR,
    BadgePrint,
    contrast_text,
    country_name,
    format_days,
    normalise_language,
    qr_code,
    render_badges_pdf,
    text_direction,
)

# ~350 px with the quiet zone: large enough to scan off a phone held at a turnstile, small
# enough not to dominate a desktop mail window.
QR_TARGET_PX = 360
_ID_CHARS = "[!-;=?A-~]+"  # printable ASCII without space, "<", ">" and "@"
_MESSAGE_ID_RE = re.compile(f"^<{_ID_CHARS}@{_ID_CHARS}>$")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9_-]+")


class _Policy(EmailPolicy):
    """The default policy, except that Message-ID is never folded.

    Folding is legal, but some parsers (Python's among them) then hand back the id with a
    leading space, and the id is the dedupe key of the at-least-once queue.
    """

    def fold(self, name: str, value: str) -> str:
        if name.lower() == "message-id":
            return f"{name}: {value.strip()}{self.linesep}"
        return str(super().fold(name, value))

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() == "message-id":
            return f"{name}: {value.strip()}{self.linesep}".encode("ascii")
        return bytes(super().fold_binary(name, value))


POLICY = _Policy()


@dataclass(frozen=True)
class BadgeMail:
    to_email: str
    to_name: str
    language: str  # "en" or "zh"; anything else is sent in English
    event_name: str
    event_dates: str
    venue: str
    practical_info: str  # free text; line breaks are kept in both bodies
    badge: BadgePrint


def _nl2br(text: str) -> Markup:
    return Markup("<br>\n").join(escape(line) for line in text.splitlines())


@functools.cache
def _jinja() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["nl2br"] = _nl2br
    return env


def qr_png(text: str, target_px: int = QR_TARGET_PX) -> tuple[bytes, int]:
    """PNG of the QR code (quiet zone included) with whole-pixel modules, and its side in px.

    Whole pixels per module keep the edges sharp; a resampled QR blurs on some phones.
    """
    qr = qr_code(text)
    modules = int(qr.symbol_size(scale=1, border=4)[0])
    scale = max(1, round(target_px / modules))
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=scale, border=4, dark="#000000", light="#ffffff")
    return buf.getvalue(), modules * scale


def recipient_address(name: str, email: str) -> Address:
    """``Address`` with an IDNA (punycode) domain, so a plain-ASCII SMTP server accepts it.

    A non-ASCII local part is left as is: it needs SMTPUTF8, which the transport asks for.
    """
    local, sep, domain = email.strip().rpartition("@")
    if not sep or not local or not domain:
        raise ValueError(f"not an email address: {email!r}")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"bad domain in email address {email!r}") from exc
    return Address(display_name=name.strip(), username=local, domain=domain)


def _cid_for(message_id: str, badge_number: str) -> str:
    # Derived from the Message-ID so that a retry produces the very same message.
    local, _, domain = message_id.strip("<>").partition("@")
    safe_local = _UNSAFE_FILENAME.sub("", local)[:40] or "m"
    return f"qr-{_UNSAFE_FILENAME.sub('', badge_number) or 'badge'}.{safe_local}@{domain}"


def _context(mail: BadgeMail, lang: str, qr_cid: str, qr_px: int) -> dict[str, Any]:
    badge = mail.badge
    return {
        "to_name": mail.to_name.strip(),
        "to_name_dir": text_direction(mail.to_name),
        "event_name": mail.event_name,
        "event_dates": mail.event_dates,
        "venue": mail.venue,
        "practical_info": mail.practical_info.strip(),
        "name": badge.name,
        "name_dir": text_direction(badge.name),
        "organization": badge.organization,
        "country": country_name(badge.country, lang),
        "access_level": badge.access_level,
        "level_bg": badge.level_colour,
        "level_fg": contrast_text(badge.level_colour),
        "zones": list(badge.zones),
        "days": format_days(badge.days, lang),
        "badge_number": badge.badge_number,
        "pdf_filename": pdf_filename(badge.badge_number),
        "qr_cid": qr_cid,
        "qr_px": qr_px,
        "html_lang": "zh-Hans" if lang == "zh" else "en",
    }


def pdf_filename(badge_number: str) -> str:
    return f"badge-{_UNSAFE_FILENAME.sub('-', badge_number).strip('-') or 'badge'}.pdf"


def compose_badge_email(
    mail: BadgeMail, *, sender: str, message_id: str, pdf: bytes | None = None
) -> EmailMessage:
    """Build the badge email; ``message_id`` (``<local@domain>``) is set exactly as given.

    ``pdf`` is the badge as rendered by ``render_badges_pdf``; when None the A6 badge is
    rendered here, so the email always carries a printable badge.
    """
    if not _MESSAGE_ID_RE.match(message_id):
        raise ValueError(f"Message-ID must look like <local@domain>, got {message_id!r}")
    lang = normalise_language(mail.language)
    if pdf is None:
        pdf = render_badges_pdf([mail.badge], layout="a6")
    png, qr_px = qr_png(mail.badge.qr_text)
    cid = _cid_for(message_id, mail.badge.badge_number)
    ctx = _context(mail, lang, cid, qr_px)
    env = _jinja()
    subject = env.get_template(f"email/badge.{lang}.subject.txt").render(ctx)
    ctx["subject"] = " ".join(subject.split())  # a header is one line, whatever the template
    text = env.get_template(f"email/badge.{lang}.txt").render(ctx)
    html = env.get_template(f"email/badge.{lang}.html").render(ctx)

    msg = EmailMessage(policy=POLICY)
    msg["From"] = sender
    msg["To"] = recipient_address(mail.to_name, mail.to_email)
    msg["Subject"] = ctx["subject"]
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    msg["Message-ID"] = message_id
    # Keeps vacation responders and ticket systems from answering a bulk mailing.
    msg["Auto-Submitted"] = "auto-generated"

    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    html_part = list(msg.iter_parts())[1]
    assert isinstance(html_part, EmailMessage)  # the part add_alternative just made
    html_part.add_related(
        png, maintype="image", subtype="png", cid=f"<{cid}>",
        disposition="inline", filename="badge-qr.png",
    )
    msg.add_attachment(
        pdf, maintype="application", subtype="pdf", filename=pdf_filename(mail.badge.badge_number)
    )
    # Set last: the multipart conversions above move every Content-* header into a part.
    msg["Content-Language"] = ctx["html_lang"]
    return msg
