"""Sealed records: format 2 (values only) is smaller, never reuses a nonce, and a gate
still opens format 1 records sealed before it."""

from __future__ import annotations

import base64
import json
import os

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared import SealedRecordError, normalize_code, open_record, seal_record

CODE = "ADM1" + "7" * 118
FIELDS = {"name": "李娜", "organization": "Acme", "country": "CN", "access_level": "VIP Guest",
          "colour": "#b8860b", "attendee_id": "42"}


def _seal_v1(code: str, fields: dict[str, str]) -> str:
    """Format 1 as the server wrote it before format 2 (a JSON object, info v1)."""
    info = b"admit-badge-record-v1"
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        normalize_code(code).encode())
    nonce = os.urandom(12)
    plain = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, plain, info)).decode()


def test_format_2_round_trip_and_smaller() -> None:
    sealed = seal_record(CODE, FIELDS)
    assert sealed.startswith("2:") and open_record(CODE, sealed) == FIELDS
    assert len(sealed) < len(_seal_v1(CODE, FIELDS)) - 80


def test_absent_fields_stay_absent() -> None:
    assert open_record(CODE, seal_record(CODE, {"name": "X"})) == {"name": "X"}
    with pytest.raises(ValueError):
        seal_record(CODE, {"email": "x@example.org"})


def test_sealing_again_takes_a_fresh_nonce() -> None:
    nonces = {base64.b64decode(seal_record(CODE, FIELDS)[2:])[:12] for _ in range(50)}
    assert len(nonces) == 50


def test_format_1_records_still_open() -> None:
    assert open_record(CODE, _seal_v1(CODE, FIELDS)) == FIELDS


@pytest.mark.parametrize("make", [seal_record, _seal_v1])
def test_another_code_opens_nothing(make: object) -> None:
    sealed = make(CODE, FIELDS)  # type: ignore[operator]
    with pytest.raises(SealedRecordError):
        open_record("ADM1" + "8" * 118, sealed)
    with pytest.raises(SealedRecordError):
        open_record(CODE, "2:" + sealed.removeprefix("2:")[:-4] + "AAAA")
