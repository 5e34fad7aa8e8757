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
_INFO_V2 = b"admit-badge-record-v2"
_V2 = "2:"  # not base64, so a format 1 record can never look like one
# Format 2 seals the values alone, in this order (null where a field is absent): the
# field names were 70 of a record's ~123 sealed bytes, sent once per badge per gate.
RECORD_FIELDS = ("name", "organization", "country", "access_level", "colour", "attendee_id")


def _key_for(code: str, info: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info)
    return hkdf.derive(normalize_code(code).encode())


def seal_record(code: str, fields: dict[str, Any]) -> str:
    """Format 2: ``"2:" + base64(nonce || ciphertext || tag)`` of the values as a JSON
    array. The nonce is fresh and random on every call: a record sealed again under the
    same code (a name corrected without a reissue) never reuses one."""
    unknown = set(fields) - set(RECORD_FIELDS)
    if unknown:
        raise ValueError(f"cannot seal fields {sorted(unknown)}; known: {RECORD_FIELDS}")
    nonce = os.urandom(12)
    plain = json.dumps([fields.get(name) for name in RECORD_FIELDS], ensure_ascii=False,
                       separators=(",", ":")).encode()
    box = AESGCM(_key_for(code, _INFO_V2)).encrypt(nonce, plain, _INFO_V2)
    return _V2 + base64.b64encode(nonce + box).decode()


def open_record(code: str, sealed: str) -> dict[str, Any]:
    """Either format: 2 (above) or 1 (a JSON object, records sealed before format 2)."""
    v2 = sealed.startswith(_V2)
    info = _INFO_V2 if v2 else _INFO
    try:
        raw = base64.b64decode(sealed[len(_V2):] if v2 else sealed, validate=True)
        plain = AESGCM(_key_for(code, info)).decrypt(raw[:12], raw[12:], info)
        fields = json.loads(plain)
    except (InvalidTag, ValueError) as exc:
        raise SealedRecordError("record does not open with this code") from exc
    if v2:
        if not isinstance(fields, list) or len(fields) != len(RECORD_FIELDS):
            raise SealedRecordError("sealed record is not a list of the record's fields")
        return {name: value for name, value in zip(RECORD_FIELDS, fields, strict=True)
                if value is not None}
    if not isinstance(fields, dict):
        raise SealedRecordError("sealed record is not an object")
    return fields
