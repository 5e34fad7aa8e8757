"""Who is calling: a bearer token (devices, scripts) or a dashboard session user."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from flask import g, request, session

from ..errors import Forbidden, Unauthorized
from ..models import ApiToken, User
from ..services import devices, login

ANONYMOUS = "anonymous"
# The dashboard keeps its CSRF token under this session key; page JavaScript sends it back
# in this header. Bearer-token clients carry no cookie, so the check never applies to them.
CSRF_SESSION_KEY = "csrf_token"
CSRF_HEADER = "X-CSRFToken"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    role: str
    name: str
    device: ApiToken | None = None
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
        user = login.session_user(session.get("user_id"), session.get("session_gen"))
        if user is not None:
            _check_csrf()
            principal = Principal(user.role, user.email, user=user)
    g.principal = principal
    return principal


def _check_csrf() -> None:
    """A cookie-authenticated write must prove it comes from our own pages."""
    if request.method in SAFE_METHODS:
        return
    expected = session.get(CSRF_SESSION_KEY) or ""
    sent = request.headers.get(CSRF_HEADER, "")
    if not expected or not hmac.compare_digest(expected, sent):
        raise Forbidden("missing or wrong CSRF token (send the X-CSRFToken header)",
                        code="csrf_failed")


def require(roles: frozenset[str]) -> Principal:
    principal = current_principal()
    if ANONYMOUS in roles or principal.role in roles:
        return principal
    if principal.role == ANONYMOUS:
        raise Unauthorized("sign in or send a bearer token", code="unauthorized")
    raise Forbidden(f"role {principal.role!r} may not do this", code="forbidden")
