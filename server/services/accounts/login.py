"""Dashboard sign-in: password check with an account lockout after repeated failures.

The trap: a counter read, checked and written back by each request lets forty parallel
guesses all read "0 failures" and all run their password check (PostgreSQL let 35
through). Here an attempt first *claims* its turn with one ``UPDATE ... RETURNING`` that
counts it and, at the limit, sets the lock in the same statement; the row lock orders
the claims, so exactly ``max_failed`` password checks run before the lock holds. Only
then is the (slow) password hash checked, outside any transaction.

Unknown and locked accounts answer exactly like a wrong password, after a hash check of
the same cost, so neither the answer nor its time tells whether an account exists or
is locked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, literal, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from shared.schemas import refuse_control_characters

from ...extensions import db
from ...models import User, utcnow
from ...models.types import UTCDateTime
from ..db import transactional
from . import audit

MAX_FAILED = 5
LOCK_MINUTES = 15
# Checked when no real hash may be, so every refusal costs one password check.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


@dataclass(frozen=True)
class _Claim:
    password_hash: str
    locked_by_this_attempt: bool


@transactional
def _claim(user_id: int, max_failed: int, lock_minutes: int) -> _Claim | None:
    """Count this attempt before checking its password; None while the account is locked."""
    now = utcnow()
    reaches_limit = func.coalesce(User.failed_logins, 0) + 1 >= max_failed
    stmt = (
        update(User)
        .where(User.id == user_id, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(
            failed_logins=case((reaches_limit, 0), else_=func.coalesce(User.failed_logins, 0) + 1),
            locked_until=case(
                (reaches_limit, literal(now + dt.timedelta(minutes=lock_minutes), UTCDateTime)),
                else_=literal(None, UTCDateTime)),
        )
        .returning(User.password_hash, User.locked_until)
    )
    row = db.session.execute(stmt, execution_options={"synchronize_session": False}).first()
    if row is None:
        return None
    return _Claim(row.password_hash, row.locked_until is not None)


@transactional
def _refused(user_id: int | None, why: str) -> None:
    audit.record("system", "user.login_failed", f"user:{user_id}" if user_id else "user:unknown",
                 why=why)


@transactional
def _failed(user_id: int, email: str, claim: _Claim, lock_minutes: int) -> None:
    _refused(user_id, "wrong_password")
    if claim.locked_by_this_attempt:
        audit.record("system", "user.locked", f"user:{email}", minutes=lock_minutes)


@transactional
def _succeeded(user_id: int, claim: _Claim) -> User:
    values: dict[str, object] = {"failed_logins": 0}
    if claim.locked_by_this_attempt:
        values["locked_until"] = None  # the attempt that set the lock was the right password
    db.session.execute(update(User).where(User.id == user_id).values(**values),
                       execution_options={"synchronize_session": False})
    user = db.session.get(User, user_id, populate_existing=True)
    assert user is not None
    audit.record(user.email, "user.login", f"user:{user.email}")
    return user


def sign_in(email: str, password: str, *, max_failed: int = MAX_FAILED,
            lock_minutes: int = LOCK_MINUTES) -> User | None:
    """The user, or None for any refusal (wrong password, unknown, locked: alike).
    Owns its transactions: the claim must be committed before the password check."""
    try:
        # NUL would make PostgreSQL fail the lookup: such an address is simply unknown.
        clean = refuse_control_characters(email.strip().lower())
    except ValueError:
        clean = None
    found = clean and db.session.execute(
        select(User.id, User.email).where(User.email == clean)).first()
    if not found:
        check_password_hash(_DUMMY_HASH, password)
        _refused(None, "unknown")
        return None
    claim = _claim(found.id, max_failed, lock_minutes)
    if claim is None:
        # No check of the real hash while locked: guessing cannot go on during the lock.
        check_password_hash(_DUMMY_HASH, password)
        _refused(found.id, "locked")
        return None
    if not check_password_hash(claim.password_hash, password):
        _failed(found.id, found.email, claim, lock_minutes)
        return None
    return _succeeded(found.id, claim)


@transactional
def end_sessions(user_id: int) -> None:
    """Sign out everywhere: every cookie carrying the old generation stops working."""
    db.session.execute(
        update(User).where(User.id == user_id)
        .values(session_generation=func.coalesce(User.session_generation, 0) + 1),
        execution_options={"synchronize_session": False})


def sign_out(user_id: int) -> None:
    end_sessions(user_id)


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def session_user(user_id: object, generation: object) -> User | None:
    """The user a dashboard cookie names, if its session has not been ended since."""
    if not isinstance(user_id, int) or not isinstance(generation, int):
        return None
    user = db.session.get(User, user_id)
    if user is None or (user.session_generation or 0) != generation:
        return None
    return user


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.role, User.email)))
