"""A real SMTP server on loopback (aiosmtpd) that records what it accepts and can be
told to fail: temporary 4xx for a number of messages, or reject one address."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.live import free_port


@dataclass
class RecordingHandler:
    received: list[Message] = field(default_factory=list)
    fail_next: int = 0  # answer this many DATA commands with 451
    fail_after: int | None = None  # accept this many, then 451 until reset
    reject: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.lower() in self.reject:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return "451 4.3.0 try again later"
            if self.fail_after is not None and len(self.received) >= self.fail_after:
                return "421 4.3.2 service shutting down"
            self.received.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted"


class SmtpServer:
    def __init__(self) -> None:
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
