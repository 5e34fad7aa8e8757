"""Dashboard sign-in: password check with an account lockout after repeated failures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ...extensions import db
from ...models import User, utcnow
from ..db import transactional
from . import audit

MAX_FAILED = 5
LOCK_MINUTES = 15
# Checked when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    locked_until: dt.datetime | None = None


def auth_version(user: User) -> str:
    """Changes whenever the password does, which ends every older session."""
    return user.password_hash[-12:]


@transactional
def attempt(email: str, password: str, *, max_failed: int = MAX_FAILED,
            lock_minutes: int = LOCK_MINUTES) -> LoginResult:
    """One transaction of its own: the failure counter is committed even on a refusal."""
    now = utcnow()
    user = db.session.scalars(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return LoginResult(None)
    if user.locked_until is not None and user.locked_until > now:
        # No password check while locked: guessing cannot continue during the lockout.
        return LoginResult(None, user.locked_until)
    if check_password_hash(user.password_hash, password):
        user.failed_logins = 0
        user.locked_until = None
        audit.record(user.email, "user.login", f"user:{user.email}")
        return LoginResult(user)
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= max_failed:
        user.locked_until = now + dt.timedelta(minutes=lock_minutes)
        user.failed_logins = 0
        audit.record("system", "user.locked", f"user:{user.email}", minutes=lock_minutes)
        return LoginResult(None, user.locked_until)
    return LoginResult(None)


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.role, User.email)))
