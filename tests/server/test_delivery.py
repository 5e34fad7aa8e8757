"""Bulk badge delivery through the real CLI to a real SMTP server on loopback."""

from __future__ import annotations

import base64
import datetime as dt
import re
import subprocess
import sys
from collections import Counter

from PIL import Image

from scanner_client.decoder import FrameDecoder
from shared import KeyRing, PublicKey, verify_token
from tests.support.live import ROOT, LiveServer
from tests.support.smtp import SmtpServer


def _sender_env(server: LiveServer, smtp: SmtpServer) -> dict[str, str]:
    return {**server.env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port),
            "SMTP_TLS": "none", "MAIL_FROM": "Convention <badges@convention.example>"}


def _send(server: LiveServer, smtp: SmtpServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "server", "send-badges", "--rate", "0",
         "--retries", "2", "--backoff", "0.05", *args],
        cwd=ROOT, env=_sender_env(server, smtp), capture_output=True, text=True, timeout=600)


def test_bulk_send_survives_smtp_outage_and_sends_each_once() -> None:
    server = LiveServer("sqlite", attendees=12)
    try:
        server.seed()
        with SmtpServer() as smtp:
            smtp.handler.fail_next = 1  # a 4xx on the first try is retried at once
            smtp.handler.fail_after = 5  # then the server "goes down" after 5 mails
            first = _send(server, smtp)
            assert first.returncode == 2, first.stdout + first.stderr
            assert "sent 5" in first.stdout and "failed 7" in first.stdout
            smtp.handler.fail_after = None
            second = _send(server, smtp)
            assert second.returncode == 0, second.stdout + second.stderr
            assert "sent 7" in second.stdout
            third = _send(server, smtp)
            assert "sent 0" in third.stdout
            received = smtp.handler.received
        per_recipient = Counter(str(m["To"].addresses[0].addr_spec) for m in received)
        assert len(per_recipient) == 12 and set(per_recipient.values()) == {1}
        assert len({m["Message-ID"] for m in received}) == 12
        # the inline QR decodes to a token the key the server publishes to gates verifies
        app = server.attached()
        try:
            feed = app.session("gate").get(f"{app.url}/api/v1/sync", timeout=10).json()
        finally:
            app.stop()
        ring = KeyRing([PublicKey(k["key_id"], base64.b64decode(k["public_key"]))
                        for k in feed["keys"]], dt.date.fromisoformat(feed["event"]["start_date"]))
        mail = received[0]
        image = next(p for p in mail.walk() if p.get_content_type() == "image/png")
        import io

        import numpy as np

        frame = np.asarray(Image.open(io.BytesIO(image.get_content())).convert("L"))
        decoded = FrameDecoder().decode(frame)  # the gate's own decoder
        assert decoded and verify_token(decoded[0].text, ring).badge_id > 0
        pdf = next(p for p in mail.walk() if p.get_content_type() == "application/pdf")
        assert pdf.get_content()[:4] == b"%PDF"
    finally:
        server.stop()


def test_reissue_makes_the_badge_due_again_and_bad_address_is_reported() -> None:
    server = LiveServer("sqlite", attendees=3)
    try:
        server.seed()
        with SmtpServer() as smtp:
            smtp.handler.reject = {"guest00002@convention.example"}
            out = _send(server, smtp)
            assert "sent 2" in out.stdout and "rejected 1" in out.stdout, out.stdout
            app = server.attached()
            try:
                reissued = app.session("admin").post(f"{app.url}/api/v1/attendees/1/badge")
                assert reissued.status_code == 201, reissued.text
            finally:
                app.stop()
            again = _send(server, smtp)
            assert "sent 1" in again.stdout, again.stdout
            sent = [re.search(r"-a(\d+)-r(\d+)@", m["Message-ID"]).groups()  # type: ignore[union-attr]
                    for m in smtp.handler.received]
            # attendee 2's address was refused; attendee 1's new revision went out again
            assert sorted(sent) == [("1", "1"), ("1", "2"), ("3", "1")]
    finally:
        server.stop()


def test_without_smtp_the_demo_writes_eml_files_to_the_outbox() -> None:
    server = LiveServer("sqlite", attendees=4)
    try:
        server.seed()
        out = server.cli("send-badges", "--rate", "0")
        assert "sent 4" in out
        files = sorted((server.instance / "outbox").glob("*.eml"))
        assert len(files) == 4
        from email import message_from_bytes
        from email.policy import default

        mail = message_from_bytes(files[0].read_bytes(), policy=default)
        assert mail["Message-ID"] and mail.get_body(("plain",)) is not None
        assert "sent 0" in server.cli("send-badges", "--rate", "0")
    finally:
        server.stop()
