"""Signing keys: list them, rotate to a new one (optionally retiring the older)."""

from __future__ import annotations

from flask import Blueprint

from ..access import ADMIN
from ..services.event import setup
from ..services.issuing import keys
from .auth import Principal
from .registry import endpoint
from .schemas import KeyInfo, KeyList, RotateIn

bp = Blueprint("keys", __name__)


@endpoint(bp, "/keys", "GET", roles=ADMIN, response=KeyList, summary="Signing keys")
def list_keys(who: Principal) -> KeyList:
    event = setup.current_event()
    return KeyList(keys=[KeyInfo(key_id=k.key_id, active=k.retired_at is None, encrypted=k.encrypted)
                         for k in keys.all_keys(event)])


@endpoint(bp, "/keys/rotate", "POST", roles=ADMIN, body=RotateIn, response=KeyList,
          summary="Sign with a new key from now on; optionally retire the older ones")
def rotate(who: Principal, body: RotateIn) -> KeyList:
    event = setup.current_event()
    keys.rotate(event, actor=who.name, retire_previous=body.retire_previous)
    return list_keys.__wrapped__(who)  # type: ignore[attr-defined,no-any-return]
