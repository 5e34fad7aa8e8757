"""Dashboard users: hashed passwords (scrypt via werkzeug)."""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from shared.schemas import UserIn

from ...errors import ValidationFailed
from ...extensions import db
from ...models import User
from ..db import transactional
from . import audit, password_rule
from .login import end_sessions


def validate(email: str, password: str, role: str) -> UserIn:
    """The user rules (email syntax, role, password length and commonness) in one place,
    for the CLI and the dashboard alike."""
    try:
        item = UserIn(email=email, password=password, role=role)  # type: ignore[arg-type]
    except ValidationError as exc:
        details = [{"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
                   for err in exc.errors(include_url=False, include_input=False)]
        raise ValidationFailed(
            "; ".join(f"{d['field']}: {d['message']}" for d in details), details=details
        ) from exc
    password_rule.check(item.password, item.email)
    return item


@transactional
def upsert(email: str, password: str, role: str, *, actor: str) -> User:
    item = validate(email, password, role)
    user = db.session.scalars(select(User).where(User.email == item.email)).first()
    if user is None:
        user = User(email=item.email, role=item.role, password_hash="", session_generation=0)
        db.session.add(user)
    elif user.id is not None:
        end_sessions(user.id)  # a new password ends every session signed in with the old one
    user.role = item.role
    user.password_hash = generate_password_hash(item.password)
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()
    audit.record(actor, "user.upsert", f"user:{user.email}", role=item.role)
    return user
