"""Badge email throughput: compose N emails, then send them through one SmtpTransport to an
aiosmtpd server on 127.0.0.1 that this script starts (and stops) itself.

Run: .venv/bin/python bench/mail_send.py [--count 1000] [--max-seconds 300]
Loopback only; bounded by --count and --max-seconds. The attached PDF is rendered once
and reused, so the figures are MIME + QR + templates + SMTP (see bench/badge_pdf.py for
rendering).
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.controller import Controller  # noqa: E402

from bench.badge_pdf import make_badges  # noqa: E402
from server.services.issuing.badge_pdf import render_badges_pdf
from server.services.mail.compose import BadgeMail, compose_badge_email
from server.services.mail.transport import SmtpTransport


class Counter:
    def __init__(self) -> None:
        self.messages = 0
        self.bytes = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages += 1
        self.bytes += len(envelope.content)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    args = parser.parse_args()

    badges = make_badges(args.count)
    pdf = render_badges_pdf(badges[:1])
    mails = [
        BadgeMail(to_email=f"guest{i}@example.com", to_name=b.name, language=b.language,
                  event_name=b.event_name, event_dates="14-17 October 2025",
                  venue="National Exhibition and Convention Center, Shanghai",
                  practical_info="Bring your passport.\nShuttle buses from 07:30.", badge=b)
        for i, b in enumerate(badges)
    ]
    deadline = time.monotonic() + args.max_seconds

    start = time.perf_counter()
    messages = []
    for i, mail in enumerate(mails):
        if time.monotonic() > deadline:
            break
        messages.append(compose_badge_email(mail, sender="Admit <badges@admit.example>",
                                            message_id=f"<badge-{i}.bench@admit.example>",
                                            pdf=pdf))
    compose_s = time.perf_counter() - start

    handler = Counter()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), ready_timeout=10)
    controller.start()
    try:
        start = time.perf_counter()
        with SmtpTransport("127.0.0.1", controller.port, timeout=30) as transport:
            for msg in messages:
                if time.monotonic() > deadline:
                    break
                transport.send(msg)
        send_s = time.perf_counter() - start
    finally:
        controller.stop()

    n, sent = len(messages), handler.messages
    print(f"compose: {n} emails in {compose_s:6.2f} s = {n / compose_s:7.1f} emails/s "
          f"({compose_s / n * 1000:.1f} ms each)")
    print(f"send:    {sent} emails in {send_s:6.2f} s = {sent / send_s:7.1f} emails/s "
          f"({handler.bytes / sent / 1024:.0f} KiB each, one SMTP connection)")
    total = compose_s + send_s
    print(f"total:   {sent} emails in {total:6.2f} s = {sent / total:7.1f} emails/s")


if __name__ == "__main__":
    main()
