"""Resetting a dashboard user's password from the CLI (the restart-safe demo points here)."""

from __future__ import annotations

from sqlalchemy import select

from ...errors import NotFound
from ...extensions import db
from ...models import User
from ..db import transactional
from . import users


@transactional
def set_password(email: str, password: str, actor: str) -> User:
    user = db.session.scalars(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise NotFound(f"no user {email}; create one with `flask --app server create-user`")
    # upsert keeps the role, hashes the password and clears a lockout; the session's
    # sessions end with it (users.upsert bumps the session generation).
    return users.upsert(user.email, password, user.role, actor=actor)
