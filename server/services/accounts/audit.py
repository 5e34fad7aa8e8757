"""Every admin and security action goes to the audit log, in the same transaction."""

from __future__ import annotations

from typing import Any

from ...extensions import db
from ...models import AuditEntry


def record(actor: str, action: str, target: str = "", **details: Any) -> None:
    db.session.add(AuditEntry(actor=actor, action=action, target=target, details=details))
