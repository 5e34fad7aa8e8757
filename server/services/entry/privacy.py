"""What the scan path keeps and tells about people.

- A code that is not a badge (a boarding pass, a payment code, a gate's own enrolment QR
  with its live token) is none of our business and may be someone's secret: the scan log
  keeps a short prefix (enough to tell what it was) and a hash (enough to match repeats),
  never the whole.
- A typed badge number is a lookup by a guessable number: it is rate limited per device
  (``services.ratelimit``) and audited, one entry per attempt, found or not.
"""

from __future__ import annotations

import hashlib
import re

from shared import BadgeClaims, Reason, TokenError

from ..accounts import audit

PREFIX = 6
_TYPED = re.compile(r"[0-9][0-9 \-]{0,30}")
_BADGE_CODE = re.compile(r"ADM1[0-9A-Z]{16,}")


def stored_code(code: str, claims: BadgeClaims | TokenError, manual: bool) -> str:
    """The code as the scan log keeps it: whole for our badges (and forgeries of them, which
    are evidence) and typed numbers; a prefix and a hash for anything else."""
    if isinstance(claims, BadgeClaims) or manual or claims.reason is not Reason.NOT_A_BADGE:
        return code[:4096]
    digest = hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{code[:PREFIX]}… sha256:{digest} ({len(code)} chars)"


def looks_typed(code: str) -> bool:
    """Digits (with spaces or hyphens) as staff type a badge number, valid or not: every
    such attempt counts towards the limit, so a wrong check digit is no free probe."""
    return _TYPED.fullmatch(code.strip()) is not None


def audit_typed(device: str, code: str, badge_id: int | None, found: bool) -> None:
    audit.record(device, "scan.typed_number", f"badge:{badge_id}" if badge_id else "",
                 number=code.strip()[:32], found=found)


def redact_codes(text: str) -> str:
    """Badge codes cut to their first characters, for what goes to the server's log (the
    database itself repeats a failing row's values in its error message, which
    ``hide_parameters`` cannot stop)."""
    return _BADGE_CODE.sub(lambda m: f"{m.group(0)[:8]}…(redacted)", text)
