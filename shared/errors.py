"""The one exception base of ``shared``; token errors carry the reason code they map to."""

from __future__ import annotations

from .reasons import Reason


class SharedError(Exception):
    """Base of every error raised by the shared package."""


class TokenError(SharedError):
    """A scanned text is not a valid badge; ``reason`` is the verdict reason it maps to."""

    reason: Reason = Reason.NOT_A_BADGE

    def __init__(self, message: str, *, text: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.text = text


class NotABadge(TokenError):
    reason = Reason.NOT_A_BADGE


class BadSignature(TokenError):
    reason = Reason.BAD_SIGNATURE


class UnknownKey(TokenError):
    reason = Reason.UNKNOWN_KEY

    def __init__(self, message: str, *, text: str = "", key_id: int = 0) -> None:
        super().__init__(message, text=text)
        self.key_id = key_id


class SealedRecordError(SharedError):
    """A sealed badge record could not be opened with the presented code."""
