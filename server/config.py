"""One configuration class, read from the environment; tests pass overrides."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

INSTANCE = Path(os.environ.get("ADMIT_INSTANCE", Path(__file__).resolve().parent.parent / "instance"))


def _persistent_secret(instance: Path, name: str, make: Callable[[], str]) -> str:
    """A random secret kept under instance/ (mode 0600), so every worker and restart of
    this host shares it. Several hosts sharing one database set it in the environment."""
    path = instance / name
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        tmp = instance / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(make())
        try:
            os.link(tmp, path)  # atomic and never overwrites: two workers agree on one
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # files from older versions were created 0644
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
        instance = Path(self.INSTANCE_PATH)
        self.SECRET_KEY = env.get("SECRET_KEY") or _persistent_secret(
            instance, "secret_key", lambda: secrets.token_urlsafe(48))
        # Fernet key for private signing keys at rest: from the environment, else one
        # generated once and kept in instance/key_encryption_key (0600).
        self.KEY_ENCRYPTION_KEY = env.get("KEY_ENCRYPTION_KEY") or _persistent_secret(
            instance, "key_encryption_key", lambda: Fernet.generate_key().decode())
        self.SECRETS_FROM_ENV = bool(env.get("SECRET_KEY")) and bool(env.get("KEY_ENCRYPTION_KEY"))
        self.REDIS_URL = env.get("REDIS_URL") or None
        # How many reverse proxies stand in front (their X-Forwarded-* headers are trusted).
        self.PROXY_COUNT = int(env.get("PROXY_COUNT", "0"))
        self.LOGIN_RATE_LIMIT = env.get("LOGIN_RATE_LIMIT", "20 per minute")
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
        # No pool_pre_ping: a round trip on every checkout. PostgreSQL connections idle
        # for a while are pinged instead (services.db._install_pg_hooks).
        self.SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"hide_parameters": True}
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
        # SQLite: online scans arriving together share one commit (services.entry.groupcommit);
        # 0 commits each alone (for measuring the difference: bench/scan_throughput.py).
        self.SQLITE_GROUP_COMMIT = env.get("SQLITE_GROUP_COMMIT", "1") == "1"
        # PostgreSQL: an online scan runs outside Flask and the ORM session (server/lane.py);
        # 0 sends every scan through the full path (for measuring: bench/scan_throughput.py).
        self.SCAN_LANE = env.get("SCAN_LANE", "1") == "1"
        # The in-process worker's tick (retention, day's-end check-out, webhooks); 0 = off.
        self.WORKER_INTERVAL_S = float(env.get("ADMIT_WORKER_INTERVAL_S", "10"))
        # First retry of a failed webhook delivery; doubles each time (capped at an hour).
        self.WEBHOOK_BACKOFF_S = float(env.get("ADMIT_WEBHOOK_BACKOFF_S", "30"))
        for key, value in overrides.items():
            setattr(self, key, value)
