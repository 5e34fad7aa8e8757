"""Who is signed in to the dashboard, and the role checks every page goes through."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, redirect, render_template, request, session, url_for

from ..models import User
from ..services import login

F = TypeVar("F", bound=Callable[..., Any])
STAFF = frozenset({"admin", "security"})
ADMIN = frozenset({"admin"})


def signed_in_user() -> User | None:
    if "web_user" in g:
        return g.web_user  # type: ignore[no-any-return]
    # Signing out and a password change end every older session (the API checks alike).
    user = login.session_user(session.get("user_id"), session.get("session_gen"))
    g.web_user = user
    return user


def actor() -> str:
    user = signed_in_user()
    assert user is not None, "views that act are behind a role check"
    return user.email


def roles_required(roles: frozenset[str]) -> Callable[[F], F]:
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
