"""The badge email in the attendee's language (en, zh, ar, ru, fr, es; else English),
sent by the real ``flask send-badges`` into the outbox and read back from the .eml files."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models.people import Attendee
from tests.support.live import LiveServer

# What each language's email must say: a phrase of the subject and of the plain body.
EXPECTED = {
    "ar": ("شارتك لحضور", "رقم الشارة"),
    "ru": ("Ваш бейдж на", "Номер бейджа"),
    "fr": ("Votre badge pour", "Numéro de badge"),
    "es": ("Su acreditación para", "Número de acreditación"),
    "de": ("Your badge for", "Badge number"),  # no German templates: English
}


class _HtmlRoot(HTMLParser):
    """The attributes of <html> and <body>."""

    def __init__(self) -> None:
        super().__init__()
        self.attrs: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("html", "body") and tag not in self.attrs:
            self.attrs[tag] = dict(attrs)


@pytest.fixture(scope="module")
def outbox_mails() -> dict[str, EmailMessage]:
    """One email per language of EXPECTED, keyed by the attendee's language."""
    server = LiveServer("sqlite", attendees=len(EXPECTED))
    try:
        server.seed()
        app = server.attached()
        try:
            with app.app.app_context():  # test setup: give each demo attendee a language
                people = db.session.scalars(select(Attendee).order_by(Attendee.id)).all()
                assert len(people) == len(EXPECTED)
                for person, lang in zip(people, EXPECTED, strict=True):
                    person.language = lang
                db.session.commit()
                emails = {p.email: p.language for p in people}
        finally:
            app.stop()
        assert f"sent {len(EXPECTED)}" in server.cli("send-badges", "--rate", "0")
        mails = {}
        for eml in (server.instance / "outbox").glob("*.eml"):
            mail = message_from_bytes(eml.read_bytes(), policy=default)
            assert isinstance(mail, EmailMessage)
            address = mail["To"].addresses[0].addr_spec
            mails[emails[address]] = mail
        return mails
    finally:
        server.stop()


def _parts(mail: EmailMessage) -> tuple[str, str]:
    plain, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


@pytest.mark.parametrize("lang", list(EXPECTED))
def test_email_in_the_attendees_language(outbox_mails: dict[str, EmailMessage], lang: str) -> None:
    subject_phrase, label = EXPECTED[lang]
    mail = outbox_mails[lang]
    plain, html = _parts(mail)
    assert subject_phrase in mail["Subject"]
    assert label in plain
    assert mail["Content-Language"] == ("en" if lang == "de" else lang)
    root = _HtmlRoot()
    root.feed(html)
    assert root.attrs["html"]["lang"] == mail["Content-Language"]
    expected_dir = "rtl" if lang == "ar" else "ltr"
    assert root.attrs["html"]["dir"] == expected_dir
    assert root.attrs["body"]["dir"] == expected_dir
    # The PDF badge travels with every language.
    assert any(p.get_content_type() == "application/pdf" for p in mail.iter_attachments())


def test_unknown_language_falls_back_to_english(outbox_mails: dict[str, EmailMessage]) -> None:
    plain, _html = _parts(outbox_mails["de"])
    assert plain.startswith("Dear ")
    assert "Votre" not in plain and "Su acreditación" not in plain
