"""Code both the server and the gate must agree on: token, policy, reasons, schemas.

No Flask, no OpenCV, no database here.
"""

from .badge_number import BadBadgeNumber, format_badge_number, parse_badge_number
from .errors import BadSignature, NotABadge, SealedRecordError, SharedError, TokenError, UnknownKey
from .masks import (
    MAX_DAYS,
    MAX_ID,
    MAX_ZONE_SLOTS,
    day_offsets_of,
    days_mask,
    days_of,
    mask_of,
    slots_of,
)
from .policy import BadgeFacts, Decision, Direction, GateFacts, ZoneFacts, decide, event_day
from .reasons import DENY_PRECEDENCE, REASON_TEXT, Reason, Verdict
from .sealed import open_record, seal_record
from .token import (
    PREFIX,
    TOKEN_LENGTH,
    BadgeClaims,
    KeyRing,
    PublicKey,
    SigningKey,
    encode_token,
    normalize_code,
    parse_token,
    verify_token,
)

__all__ = [
    "MAX_DAYS",
    "MAX_ID",
    "MAX_ZONE_SLOTS",
    "day_offsets_of",
    "days_mask",
    "days_of",
    "mask_of",
    "slots_of",
    "DENY_PRECEDENCE",
    "PREFIX",
    "REASON_TEXT",
    "TOKEN_LENGTH",
    "BadBadgeNumber",
    "BadSignature",
    "BadgeClaims",
    "BadgeFacts",
    "Decision",
    "Direction",
    "GateFacts",
    "KeyRing",
    "NotABadge",
    "PublicKey",
    "Reason",
    "SealedRecordError",
    "SharedError",
    "SigningKey",
    "TokenError",
    "UnknownKey",
    "Verdict",
    "ZoneFacts",
    "decide",
    "encode_token",
    "event_day",
    "format_badge_number",
    "normalize_code",
    "open_record",
    "parse_badge_number",
    "parse_token",
    "seal_record",
    "verify_token",
]
