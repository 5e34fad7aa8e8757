"""Personal data sealed to the badge that carries it.

A gate must show the attendee's name offline, yet a stolen laptop must not hand out
the attendee list. The server therefore encrypts each badge record's personal fields
with a key derived from that badge's own code (which holds a 64-byte signature no one
can guess): the record opens only when the badge is presented.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import SealedRecordError
from .token import normalize_code

_INFO = b"admit-badge-record-v1"


def _key_for(code: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
    return hkdf.derive(normalize_code(code).encode())


def seal_record(code: str, fields: dict[str, Any]) -> str:
    nonce = os.urandom(12)
    plain = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
    box = AESGCM(_key_for(code)).encrypt(nonce, plain, _INFO)
    return base64.b64encode(nonce + box).decode()


def open_record(code: str, sealed: str) -> dict[str, Any]:
    try:
        raw = base64.b64decode(sealed, validate=True)
        plain = AESGCM(_key_for(code)).decrypt(raw[:12], raw[12:], _INFO)
        fields = json.loads(plain)
    except (InvalidTag, ValueError) as exc:
        raise SealedRecordError("record does not open with this code") from exc
    if not isinstance(fields, dict):
        raise SealedRecordError("sealed record is not an object")
    return fields
