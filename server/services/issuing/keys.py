"""Signing keys: generated and kept on the server, published as public keys.

Private keys never leave this module's callers on the server, and are Fernet-encrypted
at rest with ``KEY_ENCRYPTION_KEY`` (from the environment, else generated once into
``instance/key_encryption_key``); keys stored raw by older versions are encrypted by
``init-db`` (``encrypt_raw_keys``).
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from flask import current_app
from sqlalchemy import func, select

from shared import KeyRing, PublicKey, SigningKey

from ...errors import AdmitError, Conflict, NotFound
from ...extensions import db
from ...models import Event, SigningKeyRecord, utcnow
from ..accounts import audit
from ..db import transactional

_MAX_KID = 255  # the token's key id is one byte


class KeyStoreError(AdmitError):
    status = 500
    code = "key_store"


def _fernet() -> Fernet | None:
    key = current_app.config.get("KEY_ENCRYPTION_KEY")
    return Fernet(key) if key else None


@transactional
def create_key(event: Event, *, actor: str) -> SigningKeyRecord:
    last = db.session.scalar(
        select(func.max(SigningKeyRecord.key_id)).where(SigningKeyRecord.event_id == event.id)
    )
    kid = (last or 0) + 1
    if kid > _MAX_KID:
        raise Conflict("this event has used all 255 key ids")
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    fernet = _fernet()
    record = SigningKeyRecord(
        event_id=event.id,
        key_id=kid,
        public_key=private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
        private_key=fernet.encrypt(raw_private) if fernet else raw_private,
        encrypted=fernet is not None,
    )
    db.session.add(record)
    db.session.flush()
    audit.record(actor, "key.create", f"key:{kid}")
    return record


@transactional
def rotate(event: Event, *, actor: str, retire_previous: bool = False) -> SigningKeyRecord:
    """A new key signs from now on; older unretired keys keep verifying unless retired."""
    previous = active_keys(event)
    record = create_key(event, actor=actor)
    if retire_previous:
        for old in previous:
            retire(event, old.key_id, actor=actor)
    audit.record(actor, "key.rotate", f"key:{record.key_id}", retired_previous=retire_previous)
    return record


@transactional
def retire(event: Event, key_id: int, *, actor: str) -> SigningKeyRecord:
    record = db.session.scalars(
        select(SigningKeyRecord).where(
            SigningKeyRecord.event_id == event.id, SigningKeyRecord.key_id == key_id
        )
    ).first()
    if record is None:
        raise NotFound(f"no key {key_id}")
    if record.retired_at is None:
        record.retired_at = utcnow()
        audit.record(actor, "key.retire", f"key:{key_id}")
    return record


def active_keys(event: Event) -> list[SigningKeyRecord]:
    return list(
        db.session.scalars(
            select(SigningKeyRecord)
            .where(SigningKeyRecord.event_id == event.id, SigningKeyRecord.retired_at.is_(None))
            .order_by(SigningKeyRecord.key_id)
        )
    )


def all_keys(event: Event) -> list[SigningKeyRecord]:
    return list(
        db.session.scalars(
            select(SigningKeyRecord)
            .where(SigningKeyRecord.event_id == event.id)
            .order_by(SigningKeyRecord.key_id)
        )
    )


def encrypt_raw_keys() -> int:
    """Encrypt private keys that older versions stored raw; returns how many."""
    fernet = _fernet()
    if fernet is None:
        return 0
    raw_records = list(db.session.scalars(
        select(SigningKeyRecord).where(SigningKeyRecord.encrypted.is_(False))))
    for record in raw_records:
        record.private_key = fernet.encrypt(bytes(record.private_key))
        record.encrypted = True
    if raw_records:
        audit.record("system", "key.encrypt_at_rest", "keys", count=len(raw_records))
    return len(raw_records)


def keyring(event: Event) -> KeyRing:
    rows = db.session.execute(
        select(SigningKeyRecord.key_id, SigningKeyRecord.public_key).where(
            SigningKeyRecord.event_id == event.id, SigningKeyRecord.retired_at.is_(None)
        )
    ).all()
    return KeyRing((PublicKey(kid, bytes(raw)) for kid, raw in rows), event.start_date)


def signing_key(event: Event, *, actor: str) -> SigningKey:
    """The newest unretired key; created on first use."""
    keys = active_keys(event)
    record = keys[-1] if keys else create_key(event, actor=actor)
    raw = bytes(record.private_key)
    if record.encrypted:
        fernet = _fernet()
        if fernet is None:
            raise KeyStoreError("signing keys are encrypted but KEY_ENCRYPTION_KEY is not set")
        try:
            raw = fernet.decrypt(raw)
        except InvalidToken as exc:
            raise KeyStoreError("KEY_ENCRYPTION_KEY does not open the signing key") from exc
    return SigningKey(record.key_id, Ed25519PrivateKey.from_private_bytes(raw))
