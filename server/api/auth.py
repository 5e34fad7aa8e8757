"""Who is calling: a bearer token (devices, scripts) or a dashboard session user."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request, session

from ..access import csrf_valid, signed_in_user
from ..errors import Forbidden, Unauthorized
from ..models import User
from ..services.accounts import devices
from ..services.accounts.devices import Device

ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Principal:
    role: str
    name: str
    device: Device | None = None
    user: User | None = None


def current_principal() -> Principal:
    if "principal" in g:
        return g.principal  # type: ignore[no-any-return]
    header = request.headers.get("Authorization", "")
    principal = Principal(ANONYMOUS, ANONYMOUS)
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("use 'Authorization: Bearer <token>'", code="bad_token")
        record = devices.authenticate(token.strip())
        principal = Principal(record.role, f"token:{record.name}", device=record)
    elif session.get("user_id"):
        user = signed_in_user()
        if user is not None:
            if not csrf_valid(allow_form=False):
                raise Forbidden("missing or wrong CSRF token (send the X-CSRFToken header)",
                                code="csrf_failed")
            principal = Principal(user.role, user.email, user=user)
    g.principal = principal
    return principal


def require(roles: frozenset[str]) -> Principal:
    principal = current_principal()
    if ANONYMOUS in roles or principal.role in roles:
        return principal
    if principal.role == ANONYMOUS:
        raise Unauthorized("sign in or send a bearer token", code="unauthorized")
    raise Forbidden(f"role {principal.role!r} may not do this", code="forbidden")
