"""The one error envelope of the server, and the domain exceptions it is built from.

Services raise an ``AdmitError`` subclass; one handler registered by the app factory
turns it into ``{"error": {"code": ..., "message": ..., "details": ...}}``.
"""

from __future__ import annotations

from typing import Any


class AdmitError(Exception):
    """Base of every error the server raises on purpose; carries what a client needs."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class ValidationFailed(AdmitError):
    status = 422
    code = "validation_failed"


class NotFound(AdmitError):
    status = 404
    code = "not_found"


class Conflict(AdmitError):
    status = 409
    code = "conflict"


class Unauthorized(AdmitError):
    status = 401
    code = "unauthorized"


class Forbidden(AdmitError):
    status = 403
    code = "forbidden"


class ServiceBusy(AdmitError):
    """The database stayed locked past every retry: the client should try again."""

    status = 503
    code = "busy"


class RateLimited(AdmitError):
    """Too many requests of one kind from one caller: 429 with a Retry-After header."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message, details={"retry_after_s": retry_after_s})
        self.retry_after_s = retry_after_s
        self.headers = {"Retry-After": str(retry_after_s)}


class MailError(AdmitError):
    """Sending an email failed; ``temporary`` says whether a retry may succeed."""

    status = 502
    code = "mail_failed"

    def __init__(self, message: str, *, temporary: bool, smtp_code: int | None = None) -> None:
        super().__init__(message, details={"temporary": temporary, "smtp_code": smtp_code})
        self.temporary = temporary
        self.smtp_code = smtp_code


def envelope(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return {"error": body}
