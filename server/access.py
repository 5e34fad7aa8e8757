"""Who may do what, for the JSON API and the dashboard alike: the roles, the session rule
(signing out and a password change end every older session) and CSRF protection for cookie sessions.

Bearer-token clients (gates, scripts) carry no cookie, so the CSRF check never applies
to them; the API's token check itself is in ``api.auth``.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, redirect, render_template, request, session, url_for

from .models import User
from .services.accounts import login

F = TypeVar("F", bound=Callable[..., Any])

ADMIN = frozenset({"admin"})
STAFF = frozenset({"admin", "security"})
GATE = frozenset({"admin", "gate"})
SETUP_READERS = frozenset({"admin", "security", "gate"})
PUBLIC = frozenset({"anonymous"})

# The session keeps its CSRF token under this key; forms send it back in a hidden field,
# page JavaScript in a header.
CSRF_SESSION_KEY = "csrf_token"
CSRF_HEADER = "X-CSRFToken"
CSRF_FORM_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def signed_in_user() -> User | None:
    """The session's user, unless the session was ended since (sign-out, a password
    change): the cookie carries a session generation the server must still hold."""
    if "web_user" in g:
        return g.web_user  # type: ignore[no-any-return]
    user = login.session_user(session.get("user_id"), session.get("session_gen"))
    g.web_user = user
    return user


def csrf_token() -> str:
    if not session.get(CSRF_SESSION_KEY):
        session[CSRF_SESSION_KEY] = secrets.token_urlsafe(32)
    return str(session[CSRF_SESSION_KEY])


def renew_csrf_token() -> str:
    """A fresh token at sign-in, so a token planted before login is worthless after it."""
    session[CSRF_SESSION_KEY] = secrets.token_urlsafe(32)
    return str(session[CSRF_SESSION_KEY])


def csrf_valid(allow_form: bool = True) -> bool:
    """A cookie-authenticated write must prove it comes from our own pages (the JSON API
    takes the header only; dashboard forms may send the hidden field)."""
    if request.method in SAFE_METHODS:
        return True
    expected = session.get(CSRF_SESSION_KEY) or ""
    sent = (request.form.get(CSRF_FORM_FIELD) if allow_form else None) or \
        request.headers.get(CSRF_HEADER, "")
    return bool(expected) and hmac.compare_digest(str(expected), sent)


def actor() -> str:
    """The signed-in user's email, recorded as who made an audited change."""
    user = signed_in_user()
    assert user is not None, "views that act are behind a role check"
    return user.email


def roles_required(roles: frozenset[str]) -> Callable[[F], F]:
    """A dashboard page: sign in first, then the role decides."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = signed_in_user()
            if user is None:
                return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
            if user.role not in roles:
                return render_template("web/error.html", status=403, title="Forbidden",
                                       message="Your role may not open this page."), 403
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorate
