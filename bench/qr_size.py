"""QR version and modules of a real badge next to a JWT (EdDSA) carrying the same claims.

    python bench/qr_size.py
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import sys
from pathlib import Path

import segno

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from shared import BadgeClaims, SigningKey, encode_token  # noqa: E402


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwt_for(claims: BadgeClaims, key: SigningKey) -> str:
    header = {"alg": "EdDSA", "typ": "JWT", "kid": str(claims.key_id)}
    payload = {"bid": claims.badge_id, "rev": claims.revision,
               "days": sorted(d.isoformat() for d in claims.valid_days),
               "zones": sorted(claims.zone_slots)}
    signing_input = f"{b64url(json.dumps(header, separators=(',', ':')).encode())}." \
                    f"{b64url(json.dumps(payload, separators=(',', ':')).encode())}"
    return f"{signing_input}.{b64url(key.private_key.sign(signing_input.encode()))}"


def describe(label: str, text: str) -> None:
    qr = segno.make(text, error="m", boost_error=False)
    side = qr.symbol_size(border=0)[0]
    print(f"{label:28} {len(text):5d} chars  mode {qr.mode:12}  version {qr.version:>2}  {side}x{side} modules")


def main() -> None:
    key = SigningKey.generate(3)
    day0 = dt.date(2026, 11, 26)
    claims = BadgeClaims(3, 104_217, 2, frozenset(day0 + dt.timedelta(days=i) for i in range(4)),
                         frozenset({0, 1, 2, 3, 7}))
    describe("Admit badge (ADM1, base36)", encode_token(claims, key, day0))
    describe("JWT, EdDSA, same claims", jwt_for(claims, key))


if __name__ == "__main__":
    main()
