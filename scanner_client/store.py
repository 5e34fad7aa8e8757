"""The gate's local store: one SQLite file in WAL mode.

It holds what an offline verdict needs (public keys, badge records with their personal
fields sealed to each badge's own code, the event's calendar, this gate's presence log)
and the outbox of scans still owed to the server. A scan is committed here before its
verdict is shown; after the server has it, the row (and with it the raw code) is
deleted, so a stolen laptop holds as little as possible.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.schemas import BadgeRecord

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS keys (key_id INTEGER PRIMARY KEY, public_key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS badges (
    badge_id INTEGER PRIMARY KEY, revision INTEGER NOT NULL, revoked INTEGER NOT NULL,
    zone_mask INTEGER NOT NULL, days TEXT NOT NULL, sealed TEXT
);
CREATE TABLE IF NOT EXISTS presence (
    badge_id INTEGER NOT NULL, zone_slot INTEGER NOT NULL, day TEXT NOT NULL,
    inside INTEGER NOT NULL, at TEXT NOT NULL, PRIMARY KEY (badge_id, zone_slot)
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, scan_id TEXT NOT NULL UNIQUE,
    code TEXT NOT NULL, gate TEXT NOT NULL, direction TEXT NOT NULL,
    scanned_at TEXT NOT NULL, state TEXT NOT NULL,
    offline_verdict TEXT, offline_reason TEXT
);
"""
# Only scans decided offline enter the outbox; the state column leaves room for more.


@dataclass(frozen=True)
class StoredBadge:
    badge_id: int
    revision: int
    revoked: bool
    zone_mask: int
    days: frozenset[str]
    sealed: str | None


@dataclass(frozen=True)
class QueuedScan:
    scan_id: str
    code: str
    gate: str
    direction: str
    scanned_at: str
    offline_verdict: str
    offline_reason: str

    def as_json(self) -> dict[str, Any]:
        return {
            "scan_id": self.scan_id, "code": self.code, "gate": self.gate,
            "direction": self.direction, "scanned_at": self.scanned_at,
            "offline_verdict": self.offline_verdict, "offline_reason": self.offline_reason,
        }


class GateStore:
    """Thread-safe wrapper: one connection guarded by a lock (the gate's write rate is
    a few scans a second plus sync pages; contention is not the bottleneck)."""

    def __init__(self, path: Path, *, durable: bool = True) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed scan survives a power cut too, not only kill -9 (WAL's NORMAL
        # would already survive a process crash; one fsync per scan is cheap at a gate).
        self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self._db.execute("PRAGMA busy_timeout=5000")
        # Deleted rows (uploaded codes) are overwritten with zeros, not left in free pages.
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.executescript(_SCHEMA)
        path.chmod(0o600)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # --- meta ---------------------------------------------------------------------

    def get_meta(self, key: str) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_meta(self, key: str, value: Any) -> None:
        with self._tx() as db:
            _put_meta(db, key, value)

    # --- sync data ----------------------------------------------------------------

    def apply_sync_page(
        self, keys: list[tuple[int, str]], badges: Iterable[BadgeRecord], cursor: str,
        event: dict[str, Any],
    ) -> None:
        """Records and the cursor that follows them commit together: a crash between
        pages resumes from the last page fully stored, never past it."""
        badges = list(badges)
        rows = [
            (b.badge_id, b.revision, int(b.revoked), sum(1 << s for s in b.zone_slots),
             json.dumps([d.isoformat() for d in b.days]), b.sealed)
            for b in badges
        ]
        erased = [(b.badge_id,) for b in badges if b.erased]
        with self._tx() as db:
            db.execute("DELETE FROM keys")  # the feed lists every valid key: retired ones go
            db.executemany("INSERT INTO keys VALUES (?, ?)", keys)
            # An erased holder: the record is replaced by the feed's revoked tombstone (no
            # sealed fields; the signed code must still be refused offline) and this
            # gate's presence entries for the badge go.
            db.executemany("INSERT OR REPLACE INTO badges VALUES (?, ?, ?, ?, ?, ?)", rows)
            db.executemany("DELETE FROM presence WHERE badge_id=?", erased)
            _put_meta(db, "cursor", cursor)
            _put_meta(db, "event", event)
        if erased:
            # secure_delete zeroed the old rows in the database file; the WAL may still
            # hold copies of those pages until a checkpoint folds it back.
            with self._lock:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def keys(self) -> list[tuple[int, str]]:
        with self._lock:
            return [(int(k), str(p)) for k, p in self._db.execute("SELECT key_id, public_key FROM keys")]

    def badge(self, badge_id: int) -> StoredBadge | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM badges WHERE badge_id=?", (badge_id,)).fetchone()
        if row is None:
            return None
        return StoredBadge(row[0], row[1], bool(row[2]), row[3], frozenset(json.loads(row[4])), row[5])

    def badge_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM badges").fetchone()[0])

    # --- presence -----------------------------------------------------------------

    def is_inside(self, badge_id: int, zone_slot: int, day: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT inside FROM presence WHERE badge_id=? AND zone_slot=? AND day=?",
                (badge_id, zone_slot, day),
            ).fetchone()
        return bool(row and row[0])

    # --- outbox ---------------------------------------------------------------------

    def record_verdict(
        self, scan: QueuedScan | None, presence: tuple[int, int, str, bool, str] | None
    ) -> None:
        """One transaction (one fsync) before the verdict shows: the offline scan owed to
        the server (``None`` when the server decided it online: nothing is owed) and the
        presence change. A crash before this commit showed no verdict, and an online
        attempt that did reach the server is recorded there under its scan_id."""
        with self._tx() as db:
            if scan is not None:
                db.execute(
                    "INSERT OR IGNORE INTO outbox (scan_id, code, gate, direction, scanned_at,"
                    " state, offline_verdict, offline_reason) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)",
                    (scan.scan_id, scan.code, scan.gate, scan.direction, scan.scanned_at,
                     scan.offline_verdict, scan.offline_reason),
                )
            else:
                _bump(db, "online_scans", 1)
            if presence is not None:
                db.execute("INSERT OR REPLACE INTO presence VALUES (?, ?, ?, ?, ?)",
                           (presence[0], presence[1], presence[2], int(presence[3]), presence[4]))

    def queued(self, limit: int) -> list[QueuedScan]:
        with self._lock:
            rows = self._db.execute(
                "SELECT scan_id, code, gate, direction, scanned_at, offline_verdict, offline_reason"
                " FROM outbox WHERE state='queued' ORDER BY seq LIMIT ?", (limit,),
            ).fetchall()
        return [QueuedScan(*r) for r in rows]

    def mark_uploaded(self, scan_ids: list[str]) -> None:
        """The server has them: drop the rows and with them the raw codes."""
        with self._tx() as db:
            db.executemany("DELETE FROM outbox WHERE scan_id=?", [(s,) for s in scan_ids])
            _bump(db, "uploaded", len(scan_ids))
        with self._lock:
            # The WAL still holds the old pages with the codes until a checkpoint.
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def queued_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM outbox WHERE state='queued'").fetchone()[0])


def _put_meta(db: sqlite3.Connection, key: str, value: Any) -> None:
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))


def _bump(db: sqlite3.Connection, key: str, by: int) -> None:
    row = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    _put_meta(db, key, (json.loads(row[0]) if row else 0) + by)
