"""Badge email end to end: composed, sent over real SMTP to aiosmtpd on loopback, parsed back."""

from __future__ import annotations

import base64
import datetime as dt
import io
import ipaddress
import re
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from PIL import Image
from pypdf import PdfReader

from server.errors import MailError
from server.services.issuing.badge_pdf import BadgePrint, render_badges_pdf
from server.services.mail.compose import BadgeMail, compose_badge_email
from server.services.mail.transport import TRANSPORTS, OutboxTransport, SmtpTransport
from tests.support.tools import artifact, require

TOKEN = "7K2QX9D4M1" * 13 + "Z"  # 131 uppercase alphanumerics, like a signed token
SENDER = "World Manufacturing Convention <badges@wmc.example>"
DAYS = tuple(dt.date(2025, 10, 14) + dt.timedelta(days=i) for i in range(2))

BADGE_ZH = BadgePrint(
    name="欧阳娜娜", organization="中国石油天然气集团有限公司", country="CN",
    access_level="贵宾", level_colour="#B71C1C", zones=("主会场", "贵宾室"), days=DAYS,
    badge_number="654321-0", qr_text=TOKEN, event_name="世界制造业大会 2025", language="zh",
)
MAIL_ZH = BadgeMail(
    to_email="nana@example.cn", to_name="欧阳娜娜", language="zh-CN",
    event_name="世界制造业大会 2025", event_dates="2025年10月14日至17日",
    venue="上海国家会展中心", practical_info="请携带护照原件。\n地铁2号线徐泾东站。",
    badge=BADGE_ZH,
)


@dataclass
class Recorder:
    """aiosmtpd handler that stores what arrives, or answers with a canned error."""

    rcpt_reply: str | None = None
    data_reply: str | None = None
    received: list[dict[str, Any]] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply:
            return self.data_reply
        self.received.append({"peer": session.peer, "rcpt": list(envelope.rcpt_tos),
                              "mail_from": envelope.mail_from, "content": envelope.content})
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A real SMTP server on 127.0.0.1 that can be restarted on the same port."""

    def __init__(self) -> None:
        self.handler = Recorder()
        self.hostname, self.port = "127.0.0.1", free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname=self.hostname, port=self.port,
                                     enable_SMTPUTF8=True, ready_timeout=10)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[Server]:
    server = Server()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def badge_pdf() -> bytes:
    return render_badges_pdf([BADGE_ZH])


def compose(mail: BadgeMail = MAIL_ZH, n: int = 1, pdf: bytes = b"%PDF-1.7\n") -> EmailMessage:
    return compose_badge_email(mail, sender=SENDER, message_id=f"<badge-{n}.a1@wmc.example>",
                               pdf=pdf)


def parse(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=default_policy)
    assert isinstance(msg, EmailMessage)
    return msg


def html_with_data_uri(msg: EmailMessage) -> tuple[str, bytes]:
    """The HTML body with its cid: image swapped for a data URI, and that image's PNG."""
    html_part = msg.get_body(preferencelist=("html",))
    assert html_part is not None
    html = html_part.get_content()
    (cid,) = re.findall(r'src="cid:([^"]+)"', html)
    related = [p for p in msg.walk() if p.get("Content-ID") == f"<{cid}>"]
    assert len(related) == 1, "the cid in the HTML must name exactly one part"
    png = related[0].get_payload(decode=True)
    assert related[0].get_content_type() == "image/png" and isinstance(png, bytes)
    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    return html.replace(f"cid:{cid}", uri), png


def test_zh_badge_email_round_trip_over_smtp(
    smtp: Server, badge_pdf: bytes
) -> None:
    handler = smtp.handler
    sent = compose(pdf=badge_pdf)
    with SmtpTransport(smtp.hostname, smtp.port, timeout=10) as transport:
        transport.send(sent)
    (got,) = handler.received
    assert got["rcpt"] == ["nana@example.cn"]
    assert got["mail_from"] == "badges@wmc.example"
    msg = parse(got["content"])

    assert msg["Message-ID"] == "<badge-1.a1@wmc.example>"
    assert msg["Subject"] == "您的世界制造业大会 2025入场胸卡"
    assert msg["To"].addresses[0].display_name == "欧阳娜娜"
    assert msg["To"].addresses[0].addr_spec == "nana@example.cn"
    assert msg["Content-Language"] == "zh-Hans"
    raw_headers = got["content"].split(b"\r\n\r\n", 1)[0]
    assert raw_headers.isascii(), "headers must be RFC 2047 encoded for plain SMTP"

    assert msg.get_content_type() == "multipart/mixed"
    text = msg.get_body(preferencelist=("plain",))
    assert text is not None and "欧阳娜娜" in text.get_content()
    assert "654321-0" in text.get_content() and "请携带护照原件" in text.get_content()

    html, png = html_with_data_uri(msg)
    assert "尊敬的" in html and "上海国家会展中心" in html
    image = Image.open(io.BytesIO(png))
    assert 300 <= image.width <= 400 and image.width == image.height
    (code,) = zxingcpp.read_barcodes(image)
    assert code.text == TOKEN

    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "badge-654321-0.pdf"
    assert attachment.get_content_type() == "application/pdf"
    pdf = attachment.get_payload(decode=True)
    assert isinstance(pdf, bytes)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1 and "欧阳娜娜" in reader.pages[0].extract_text()


def test_english_and_fallback_languages() -> None:
    for language in ("en", "fr", ""):
        msg = compose(replace(MAIL_ZH, language=language, to_name="Zoë Ångström"))
        assert msg["Subject"] == "Your badge for 世界制造业大会 2025"
        body = msg.get_body(preferencelist=("plain",))
        assert body is not None and body.get_content().startswith("Dear Zoë Ångström,")


def test_display_names_that_need_quoting_or_encoding_survive() -> None:
    for name in ("Dupont, Zoë", 'Ali "The Boss" Khan', "محمد العتيبي", "O'Brien"):
        msg = parse(compose(replace(MAIL_ZH, to_name=name, language="en")).as_bytes())
        assert msg["To"].addresses[0].display_name == name
    # An internationalised domain goes out as punycode so any SMTP server takes it.
    msg = compose(replace(MAIL_ZH, to_email="nana@例子.中国"))
    assert msg["To"].addresses[0].domain == "xn--fsqu00a.xn--fiqs8s"


def test_message_id_is_set_exactly_and_must_be_well_formed() -> None:
    long_id = "<badge-000123-4.attempt-7.0123456789abcdef0123456789abcdef@mail.wmc.example>"
    msg = compose_badge_email(MAIL_ZH, sender=SENDER, message_id=long_id, pdf=b"%PDF")
    assert msg["Message-ID"] == long_id
    assert parse(msg.as_bytes())["Message-ID"] == long_id  # survives folding
    for bad in ("no-brackets@x", "<no-at-sign>", "<a@b>\r\nBcc: evil@x", ""):
        with pytest.raises(ValueError):
            compose_badge_email(MAIL_ZH, sender=SENDER, message_id=bad, pdf=b"%PDF")


def test_pdf_is_rendered_when_not_given() -> None:
    msg = compose_badge_email(MAIL_ZH, sender=SENDER, message_id="<r@wmc.example>")
    (attachment,) = list(msg.iter_attachments())
    pdf = attachment.get_payload(decode=True)
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    assert float(PdfReader(io.BytesIO(pdf)).pages[0].mediabox.width) == pytest.approx(297.6, 0.01)


def test_one_connection_is_reused_and_reopened_after_the_server_drops_it(
    smtp: Server,
) -> None:
    handler = smtp.handler
    transport = SmtpTransport(smtp.hostname, smtp.port, timeout=10)
    try:
        for n in range(3):
            transport.send(compose(n=n))
        assert len({r["peer"] for r in handler.received}) == 1
        # The server goes away and comes back (restart, idle timeout, failover).
        smtp.stop()
        smtp.start()
        transport.send(compose(n=4))
    finally:
        transport.close()
    assert len(handler.received) == 4
    assert len({r["peer"] for r in handler.received}) == 2


def test_451_is_temporary_and_the_connection_stays_usable(
    smtp: Server,
) -> None:
    handler = smtp.handler
    handler.data_reply = "451 4.3.0 try later"
    with SmtpTransport(smtp.hostname, smtp.port, timeout=10) as transport:
        with pytest.raises(MailError) as info:
            transport.send(compose())
        assert info.value.temporary is True and info.value.smtp_code == 451
        assert "try later" in info.value.message
        handler.data_reply = None
        transport.send(compose(n=2))
    assert len(handler.received) == 1


def test_550_recipient_rejected_is_permanent(smtp: Server) -> None:
    handler = smtp.handler
    handler.rcpt_reply = "550 5.1.1 no such user"
    with (SmtpTransport(smtp.hostname, smtp.port, timeout=10) as transport,
          pytest.raises(MailError) as info):
        transport.send(compose())
    assert info.value.temporary is False and info.value.smtp_code == 550
    assert info.value.details == {"temporary": False, "smtp_code": 550}


def self_signed(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context trusting only that server's certificate)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(
            "127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_path, key_path)
    return server, ssl.create_default_context(cafile=str(cert_path))


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_and_login(security: str, tmp_path: Path) -> None:
    server_ctx, client_ctx = self_signed(tmp_path)
    passwords: list[bytes] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        password = auth_data.password
        passwords.append(password if isinstance(password, bytes) else password.encode())
        # handled=False lets aiosmtpd answer a failure with 535 itself.
        return AuthResult(success=passwords[-1] == b"s3cret", handled=False)

    handler = Recorder()
    # aiosmtpd does not count implicit TLS as TLS for AUTH, hence auth_require_tls there.
    tls = ({"tls_context": server_ctx, "require_starttls": True} if security == "starttls"
           else {"ssl_context": server_ctx, "auth_require_tls": False})
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), ready_timeout=10,
                            authenticator=authenticator, auth_required=True, **tls)
    controller.start()
    try:
        with SmtpTransport("127.0.0.1", controller.port, security=security, user="admit",
                           password="s3cret", ssl_context=client_ctx, timeout=10) as transport:
            transport.send(compose())
        assert len(handler.received) == 1 and passwords == [b"s3cret"]
        # Wrong password: a 535 reply, which no retry will fix.
        with (SmtpTransport("127.0.0.1", controller.port, security=security, user="admit",
                            password="wrong", ssl_context=client_ctx, timeout=10) as transport,
              pytest.raises(MailError) as info):
            transport.send(compose())
        assert info.value.smtp_code == 535 and info.value.temporary is False
        # A certificate the client does not trust: refused before any password is sent.
        with (SmtpTransport("127.0.0.1", controller.port, security=security, user="admit",
                            password="s3cret", timeout=10) as transport,
              pytest.raises(MailError) as info):
            transport.send(compose())
        assert "CERTIFICATE_VERIFY_FAILED" in info.value.message
        assert b"s3cret" not in passwords[1:]
    finally:
        controller.stop()


def test_closed_port_is_temporary() -> None:
    transport = SmtpTransport("127.0.0.1", free_port(), timeout=5)
    started = time.monotonic()
    with pytest.raises(MailError) as info:
        transport.send(compose())
    assert info.value.temporary is True and info.value.smtp_code is None
    assert time.monotonic() - started < 5
    transport.close()


def test_outbox_writes_one_parseable_file_per_message_id(tmp_path: Path) -> None:
    outbox = TRANSPORTS["outbox"](tmp_path / "outbox")
    assert isinstance(outbox, OutboxTransport)
    first = compose(n=7)
    outbox.send(first)
    outbox.send(compose(n=7))  # the queue's retry of the same message
    outbox.send(compose(n=8))
    files = sorted((tmp_path / "outbox").iterdir())
    assert [f.name for f in files] == ["badge-7.a1@wmc.example.eml", "badge-8.a1@wmc.example.eml"]
    msg = parse(files[0].read_bytes())
    assert msg["Message-ID"] == first["Message-ID"]
    assert msg["Subject"] == "您的世界制造业大会 2025入场胸卡"
    assert len(list(msg.iter_attachments())) == 1
    # Ids with path characters stay inside the folder and distinct from look-alikes.
    assert OutboxTransport.filename_for("<../../etc/passwd@x>") != "../../etc/passwd@x.eml"
    assert "/" not in OutboxTransport.filename_for("<a/b@x>")
    assert OutboxTransport.filename_for("<a/b@x>") != OutboxTransport.filename_for("<a_b@x>")


def test_zh_email_rendered_by_chromium(tmp_path: Path) -> None:
    """Kept artifact: the HTML email as a browser draws it (fonts, layout, QR size)."""
    chromium = require("chromium", "chromium-browser")
    html, _ = html_with_data_uri(parse(compose().as_bytes()))
    page = tmp_path / "email.html"
    page.write_text(html, encoding="utf-8")
    shot = artifact("email-zh.png")
    shot.unlink(missing_ok=True)
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
         "--window-size=800,1200", page.as_uri()],
        check=True, timeout=120, capture_output=True,
    )
    (code,) = zxingcpp.read_barcodes(Image.open(shot))
    assert code.text == TOKEN
