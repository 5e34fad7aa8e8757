"""CSRF protection for dashboard forms: a per-session token, sent back with every POST.

The same session token guards cookie-authenticated JSON API writes (see api.auth).
"""

from __future__ import annotations

import hmac
import secrets

from flask import request, session

from ..api.auth import CSRF_HEADER, CSRF_SESSION_KEY

FORM_FIELD = "csrf_token"


def token() -> str:
    if not session.get(CSRF_SESSION_KEY):
        session[CSRF_SESSION_KEY] = secrets.token_urlsafe(32)
    return str(session[CSRF_SESSION_KEY])


def renew() -> str:
    """A fresh token at sign-in, so a token planted before login is worthless after it."""
    session[CSRF_SESSION_KEY] = secrets.token_urlsafe(32)
    return str(session[CSRF_SESSION_KEY])


def valid_request() -> bool:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return True
    expected = session.get(CSRF_SESSION_KEY) or ""
    sent = request.form.get(FORM_FIELD) or request.headers.get(CSRF_HEADER, "")
    return bool(expected) and hmac.compare_digest(str(expected), sent)
