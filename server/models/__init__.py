"""SQLAlchemy models; Alembic migrations under server/migrations follow them."""

from .event import AccessLevel, Event, Gate, GateName, Zone, level_zones
from .jobs import CacheVersion, JobRecord
from .people import Attendee, Badge, Presence, utcnow
from .scans import Alert, Scan
from .security import ROLES, ApiToken, AuditEntry, SigningKeyRecord, SyncState, User
from .webhooks import Webhook, WebhookDelivery, WorkerCursor

__all__ = [
    "ROLES",
    "AccessLevel",
    "Alert",
    "ApiToken",
    "Attendee",
    "AuditEntry",
    "Badge",
    "CacheVersion",
    "Event",
    "Gate",
    "GateName",
    "JobRecord",
    "Presence",
    "Scan",
    "SigningKeyRecord",
    "SyncState",
    "User",
    "Webhook",
    "WebhookDelivery",
    "WorkerCursor",
    "Zone",
    "level_zones",
    "utcnow",
]
