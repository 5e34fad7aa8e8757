"""One exception base for the gate program; each error carries a title and a message
that gate staff can read on the screen."""

from __future__ import annotations


class ScannerError(Exception):
    def __init__(self, title: str, message: str) -> None:
        super().__init__(f"{title}: {message}")
        self.title = title
        self.message = message


class SourceError(ScannerError):
    """The camera, video or image folder could not be opened or read."""


class ServerUnreachable(ScannerError):
    """The server did not answer within the budget (refused, hung, or broken)."""


class EnrolmentError(ScannerError):
    """The device token or gate was refused by the server, or enrolment could not finish."""


class TokenRefused(EnrolmentError):
    """The server does not accept the device token (revoked, mistyped, another server's)."""


class EnrolmentCodeNotFound(EnrolmentError):
    """The input ended (or the deadline passed) before an enrolment QR code was seen."""


class UnknownGate(EnrolmentError):
    """The gate named (by flag or enrolment code) is not one of the event's gates."""


class ScanRefused(ScannerError):
    """The server (or the shared schema, before sending) will never accept this scan as
    it is: it is set aside on the gate instead of being retried forever."""


class RateLimited(ScannerError):
    """The server asks this device to wait (429) before the next request of this kind."""

    def __init__(self, title: str, message: str, retry_after_s: int) -> None:
        super().__init__(title, message)
        self.retry_after_s = retry_after_s
