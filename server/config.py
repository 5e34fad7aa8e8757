"""One configuration class, read from the environment; tests pass overrides."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

INSTANCE = Path(os.environ.get("ADMIT_INSTANCE", Path(__file__).resolve().parent.parent / "instance"))


def _persistent_secret(name: str) -> str:
    """A random secret kept under instance/, so every worker and restart shares it."""
    path = INSTANCE / name
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(48))
        os.replace(tmp, path) if not path.exists() else tmp.unlink()
    return path.read_text().strip()


def _normalise_db_url(url: str) -> str:
    # psycopg 3 is the driver we ship; accept the plain postgres:// spellings too.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    def __init__(self, **overrides: Any) -> None:
        env = os.environ
        self.INSTANCE_PATH = str(overrides.pop("INSTANCE_PATH", INSTANCE))
        self.SQLALCHEMY_DATABASE_URI = _normalise_db_url(
            env.get("DATABASE_URL") or f"sqlite:///{Path(self.INSTANCE_PATH) / 'admit.db'}"
        )
        self.SECRET_KEY = env.get("SECRET_KEY") or _persistent_secret("secret_key")
        # Fernet key for private signing keys at rest; without it they are stored raw.
        self.KEY_ENCRYPTION_KEY = env.get("KEY_ENCRYPTION_KEY") or None
        self.SMTP_HOST = env.get("SMTP_HOST") or None
        self.SMTP_PORT = int(env.get("SMTP_PORT", "25"))
        self.SMTP_USER = env.get("SMTP_USER") or None
        self.SMTP_PASSWORD = env.get("SMTP_PASSWORD") or None
        self.SMTP_TLS = env.get("SMTP_TLS", "none")
        self.MAIL_FROM = env.get("MAIL_FROM", "Admit <badges@admit.local>")
        self.MAIL_RATE_PER_S = float(env.get("MAIL_RATE_PER_S", "10"))
        self.OUTBOX_DIR = env.get("OUTBOX_DIR") or str(Path(self.INSTANCE_PATH) / "outbox")
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env.get("SESSION_COOKIE_SECURE", "0") == "1"
        # hide_parameters: a failed statement's message must not carry the badge code it
        # was given into the server's logs.
        self.SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True,
                                                          "hide_parameters": True}
        # Typed badge numbers per gate device per minute (services.ratelimit).
        self.TYPED_NUMBERS_PER_MINUTE = int(env.get("TYPED_NUMBERS_PER_MINUTE", "10"))
        self.JSON_SORT_KEYS = False
        # Job queue on Redis (RQ); without it jobs run in a thread of the server process.
        self.REDIS_URL = env.get("REDIS_URL") or None
        self.JOBS_QUEUE = env.get("JOBS_QUEUE", "admit")
        self.JOBS_CHUNK_SIZE = int(env.get("JOBS_CHUNK_SIZE", "50"))  # attendees per send job
        self.MAIL_RETRIES = int(env.get("MAIL_RETRIES", "4"))
        self.MAIL_BACKOFF_S = float(env.get("MAIL_BACKOFF_S", "1.0"))
        self.REQUEST_LOG = env.get("REQUEST_LOG", "1") == "1"  # one JSON line per request
        # The in-process worker's tick (retention, day's-end check-out, webhooks); 0 = off.
        self.WORKER_INTERVAL_S = float(env.get("ADMIT_WORKER_INTERVAL_S", "10"))
        # First retry of a failed webhook delivery; doubles each time (capped at an hour).
        self.WEBHOOK_BACKOFF_S = float(env.get("ADMIT_WEBHOOK_BACKOFF_S", "30"))
        for key, value in overrides.items():
            setattr(self, key, value)
