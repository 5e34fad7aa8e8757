"""Dashboard users: hashed passwords (scrypt via werkzeug)."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from ...errors import ValidationFailed
from ...extensions import db
from ...models import User
from ..db import transactional
from . import audit

MIN_PASSWORD = 8


@transactional
def upsert(email: str, password: str, role: str, *, actor: str) -> User:
    if role not in ("admin", "security"):
        raise ValidationFailed("role must be admin or security")
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"passwords have at least {MIN_PASSWORD} characters")
    email = email.strip().lower()
    user = db.session.scalars(select(User).where(User.email == email)).first()
    if user is None:
        user = User(email=email, role=role, password_hash="")
        db.session.add(user)
    user.role = role
    user.password_hash = generate_password_hash(password)
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()
    audit.record(actor, "user.upsert", f"user:{user.email}", role=role)
    return user
