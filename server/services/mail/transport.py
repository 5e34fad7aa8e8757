"""Getting a composed email out: over SMTP, or into a folder of .eml files.

Every failure leaves as ``MailError`` with ``temporary`` set so the sending queue can tell
"retry later" (4xx replies, refused/reset/timed-out connections) from "give up on this
message" (5xx replies such as 550 no such user). The queue delivers at least once and
dedupes on Message-ID, which is why a send interrupted by a dropped connection is simply
sent again on a fresh one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Protocol

from server.errors import MailError

SECURITY_MODES = ("none", "starttls", "ssl")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._@+=-]{1,150}$")


class MailTransport(Protocol):
    def send(self, msg: EmailMessage) -> None:
        """Deliver ``msg`` or raise ``MailError(message, temporary=..., smtp_code=...)``."""
        ...

    def close(self) -> None: ...


def _decode(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _reply_error(what: str, code: int, text: bytes | str) -> MailError:
    # 4xx: the server asks us to come back; 5xx: it will say the same next time. Anything
    # else (smtplib uses -1 for a garbled reply) is treated as a transient fault.
    temporary = not 500 <= code <= 599
    return MailError(f"{what}: {code} {_decode(text)}".strip(), temporary=temporary,
                     smtp_code=code if code > 0 else None)


def classify(exc: BaseException) -> MailError:
    """Map an smtplib/socket exception to ``MailError``; public so callers classify alike."""
    if isinstance(exc, MailError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # One recipient per badge email, so the first refusal speaks for the message.
        rcpt, (code, text) = next(iter(exc.recipients.items()))
        return _reply_error(f"recipient {rcpt} refused", code, text)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return _reply_error(f"sender {exc.sender} refused", exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply_error(type(exc).__name__, exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        # e.g. an internationalised address and a server without SMTPUTF8: no retry helps.
        return MailError(f"server cannot take this message: {exc}", temporary=False)
    # Refused, reset, timed out, dropped, TLS failures: the network or the server may
    # recover, and a misconfigured relay is better retried after a fix than given up on.
    return MailError(f"{type(exc).__name__}: {exc}", temporary=True)


class SmtpTransport:
    """One SMTP connection reused across ``send`` calls; not thread-safe (one per worker)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: str = "none",
        user: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        local_hostname: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``ssl_context`` defaults to the system CAs with hostname checks; pass one to trust
        an internal relay's own CA rather than turning verification off."""
        if security not in SECURITY_MODES:
            raise ValueError(f"security must be one of {SECURITY_MODES}, got {security!r}")
        if (user is None) != (password is None):
            raise ValueError("give both user and password, or neither")
        self.host, self.port, self.security = host, port, security
        self.user, self.password, self.timeout = user, password, timeout
        # smtplib would otherwise call getfqdn() on every connect, which can stall on DNS.
        self.local_hostname = local_hostname or "localhost"
        self.ssl_context = ssl_context
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        context = self.ssl_context or ssl.create_default_context()
        conn: smtplib.SMTP
        if self.security == "ssl":
            conn = smtplib.SMTP_SSL(self.host, self.port, local_hostname=self.local_hostname,
                                    timeout=self.timeout, context=context)
        else:
            conn = smtplib.SMTP(self.host, self.port, local_hostname=self.local_hostname,
                                timeout=self.timeout)
        try:
            conn.ehlo()
            if self.security == "starttls":
                conn.starttls(context=context)
                conn.ehlo()
            if self.user is not None and self.password is not None:
                conn.login(self.user, self.password)
        except BaseException:
            with contextlib.suppress(Exception):
                conn.close()
            raise
        return conn

    def _send_once(self, msg: EmailMessage) -> None:
        if self._conn is None:
            self._conn = self._connect()
        refused = self._conn.send_message(msg)
        if refused:  # some recipients taken, some not: report the first refusal
            raise smtplib.SMTPRecipientsRefused(refused)

    def send(self, msg: EmailMessage) -> None:
        for attempt in (1, 2):
            reused = self._conn is not None
            try:
                self._send_once(msg)
                return
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
                code = getattr(exc, "smtp_code", None)
                if code != 421:
                    self._after_reply_error()
                    raise classify(exc) from exc
                self._drop()  # 421 "closing channel": smtplib has already hung up
                if not (reused and attempt == 1):
                    raise classify(exc) from exc
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                # A reused connection may have been closed by the server while idle (or
                # silently by a NAT): one retry on a fresh connection before reporting.
                if not (reused and attempt == 1):
                    raise classify(exc) from exc

    def _after_reply_error(self) -> None:
        # smtplib sends RSET after a refused MAIL/RCPT/DATA, so the connection is normally
        # still good; if it was closed (e.g. after 421) start afresh next time.
        if self._conn is not None and getattr(self._conn, "sock", None) is None:
            self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            pass
        finally:
            with contextlib.suppress(Exception):
                conn.close()

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class OutboxTransport:
    """Writes each message to ``<folder>/<message-id>.eml`` (dev, demos, a pickup folder).

    Idempotent by Message-ID: a message whose file exists is not written again, matching
    the dedupe a real mailbox does for the queue's at-least-once delivery.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    @staticmethod
    def filename_for(message_id: str) -> str:
        core = message_id.strip().strip("<>")
        if _SAFE_ID.match(core) and not core.startswith("."):
            return f"{core}.eml"
        # Replacing characters could map two ids to one name; the hash keeps them apart.
        digest = hashlib.sha256(message_id.strip().encode("utf-8")).hexdigest()[:12]
        cleaned = re.sub(r"[^A-Za-z0-9._@+=-]+", "_", core).lstrip(".")[:100]
        return f"{cleaned}-{digest}.eml"

    def path_for(self, message_id: str) -> Path:
        return self.folder / self.filename_for(message_id)

    def send(self, msg: EmailMessage) -> None:
        message_id = msg.get("Message-ID")
        if not message_id:
            raise MailError("message has no Message-ID; the outbox files by it", temporary=False)
        target = self.path_for(str(message_id))
        try:
            if target.exists():
                return
            self.folder.mkdir(parents=True, exist_ok=True)
            data = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".outbox-", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                # Readers only ever see a complete file; a crash leaves a stray .tmp at most.
                os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            raise MailError(f"cannot write {target}: {exc}", temporary=True) from exc

    def close(self) -> None:
        return None


TRANSPORTS: dict[str, Callable[..., MailTransport]] = {
    "smtp": SmtpTransport,
    "outbox": OutboxTransport,
}
