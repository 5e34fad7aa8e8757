"""Per-address rate limits (Flask-Limiter) on a storage every worker shares.

With ``REDIS_URL`` the counters live in Redis (several hosts share them). Without it,
The server's workers are separate processes, so the ``limits`` package's in-memory storage
would give each worker its own budget; ``SqliteStorage`` keeps fixed-window counters in
one SQLite file under ``instance/`` instead, which every worker on the host opens.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import Storage

# ProxyFix has already put the client's address into REMOTE_ADDR (see server.security).
limiter = Limiter(key_func=get_remote_address, default_limits=[])


class SqliteStorage(Storage):
    """Fixed-window counters in one SQLite file: ``admit-sqlite:///path/to/file``."""

    STORAGE_SCHEME = ["admit-sqlite"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 **options: float | str | bool) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = (uri or "").split("://", 1)[1] if uri and "://" in uri else ":memory:"
        self._local = threading.local()

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            if self.path != ":memory:":
                # Workers starting together must not race to switch the journal mode or
                # create the table ("database is locked" at once, busy timeout or not).
                fd = os.open(f"{self.path}.init-lock", os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    self._create(conn)
                finally:
                    os.close(fd)  # closing releases the lock
            else:
                self._create(conn)
            self._local.conn = conn
        return conn

    @staticmethod
    def _create(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS counters "
                     "(key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires REAL NOT NULL)")

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        # One statement: an expired window restarts, a live one counts on, atomically
        # across processes (SQLite takes its write lock for the statement).
        row = self._conn().execute(
            "INSERT INTO counters (key, value, expires) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET "
            "value = CASE WHEN expires <= ? THEN excluded.value ELSE value + excluded.value END, "
            "expires = CASE WHEN expires <= ? THEN excluded.expires ELSE expires END "
            "RETURNING value",
            (key, amount, now + expiry, now, now),
        ).fetchone()
        return int(row[0])

    def get(self, key: str) -> int:
        row = self._conn().execute("SELECT value FROM counters WHERE key = ? AND expires > ?",
                                   (key, time.time())).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._conn().execute("SELECT expires FROM counters WHERE key = ?",
                                   (key,)).fetchone()
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        self._conn().execute("SELECT 1")
        return True

    def reset(self) -> int | None:
        return self._conn().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._conn().execute("DELETE FROM counters WHERE key = ?", (key,))


def storage_uri(config: dict[str, Any] | Any) -> str:
    redis_url = config.get("REDIS_URL")
    if redis_url:
        return str(redis_url)
    return f"admit-sqlite:///{Path(config['INSTANCE_PATH']) / 'ratelimit.sqlite3'}"


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", storage_uri(app.config))
    app.config.setdefault("RATELIMIT_STRATEGY", "fixed-window")
    # A broken limit store must not take sign-in down; the account lockout still holds.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
