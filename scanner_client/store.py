"""The gate's local store: one SQLite file in WAL mode.

It holds what an offline verdict needs (public keys, badge records with their personal
fields sealed to each badge's own code, the event's calendar, this gate's presence log)
and the outbox of scans still owed to the server. A scan is committed here before its
verdict is shown; after the server has it, the row (and with it the raw code) is
deleted, so a stolen laptop holds as little as possible.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared import Direction, Reason, Verdict, days_of, mask_of
from shared.schemas import ScanIn, ScanMode
from shared.sync_schemas import (
    PACKED_ACTIVE,
    PACKED_ERASED,
    BadgeRecord,
    PackedBadge,
    PresenceRecord,
)

from .outcomes import PresenceChange

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
# Only scans decided offline enter the outbox. state: 'queued' (owed to the server) or
# 'set_aside' (the server refused it with a 4xx: kept, shown and counted, never resent, so
# one bad scan cannot hold back the queue behind it); set_aside_why says what was refused.
QUEUED = "queued"
SET_ASIDE = "set_aside"


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
    direction: Direction
    scanned_at: dt.datetime  # aware (UTC): the server refuses a naive time
    offline_verdict: Verdict
    offline_reason: Reason
    mode: ScanMode = "offline"  # lan: a LAN leader ordered it; degraded: alone in a group
    lan_seq: int | None = None

    def as_scan_in(self) -> ScanIn:
        """The upload body, checked by the shared schema (ValidationError if it never
        could be sent as it is)."""
        return ScanIn(scan_id=uuid.UUID(self.scan_id), code=self.code, gate=self.gate,
                      direction=self.direction, scanned_at=self.scanned_at,
                      offline_verdict=self.offline_verdict, offline_reason=self.offline_reason,
                      mode=self.mode, lan_seq=self.lan_seq)

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> QueuedScan:
        scanned_at = dt.datetime.fromisoformat(row[4])
        if scanned_at.tzinfo is None:  # rows queued by an older gate version: UTC then too
            scanned_at = scanned_at.replace(tzinfo=dt.UTC)
        return cls(row[0], row[1], row[2], Direction(row[3]), scanned_at, Verdict(row[5]),
                   Reason(row[6]), row[7], row[8])


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
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(outbox)")}
        if "set_aside_why" not in columns:  # a data dir from before set-aside scans
            self._db.execute("ALTER TABLE outbox ADD COLUMN set_aside_why TEXT")
        if "mode" not in columns:  # before LAN groups: every queued scan was decided alone
            self._db.execute("ALTER TABLE outbox ADD COLUMN mode TEXT NOT NULL DEFAULT 'offline'")
            self._db.execute("ALTER TABLE outbox ADD COLUMN lan_seq INTEGER")
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
            (b.badge_id, b.revision, int(b.revoked), mask_of(b.zone_slots),
             json.dumps([d.isoformat() for d in b.days]), b.sealed)
            for b in badges
        ]
        erased = [(b.badge_id,) for b in badges if b.erased]
        self._apply_rows(keys, rows, erased, cursor, event)

    def apply_packed_page(
        self, keys: list[tuple[int, str]], badges: Iterable[PackedBadge], cursor: str,
        event: dict[str, Any],
    ) -> None:
        """A sync page in format 2: the days come from the mask and the event's first day
        (one JSON text per distinct mask, not per badge: most badges share a few)."""
        day_zero = dt.date.fromisoformat(event["start_date"])
        days: dict[int, str] = {}
        rows, erased = [], []
        for badge_id, revision, status, zone_mask, day_mask, sealed in badges:
            text = days.get(day_mask)
            if text is None:
                text = days[day_mask] = json.dumps(
                    [d.isoformat() for d in sorted(days_of(day_mask, day_zero))])
            rows.append((badge_id, revision, int(status != PACKED_ACTIVE), zone_mask, text, sealed))
            if status == PACKED_ERASED:
                erased.append((badge_id,))
        self._apply_rows(keys, rows, erased, cursor, event)

    def _apply_rows(self, keys: list[tuple[int, str]], rows: list[tuple[Any, ...]],
                    erased: list[tuple[int]], cursor: str, event: dict[str, Any]) -> None:
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

    def is_inside(self, badge_id: int, zone_slot: int, day: dt.date) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT inside FROM presence WHERE badge_id=? AND zone_slot=? AND day=?",
                (badge_id, zone_slot, day.isoformat()),
            ).fetchone()
        return bool(row and row[0])

    def apply_presence(self, changes: Iterable[PresenceChange]) -> None:
        """Presence changes ordered by the LAN leader: each lands unless this log already
        holds a later change of the same badge and zone."""
        with self._tx() as db:
            for c in changes:
                db.execute(
                    "INSERT INTO presence VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (badge_id, zone_slot) DO UPDATE SET day=excluded.day,"
                    " inside=excluded.inside, at=excluded.at WHERE presence.at < excluded.at",
                    (c.badge_id, c.zone_slot, c.day.isoformat(), int(c.inside), _ts(c.at)))

    def replace_zone_presence(self, zone_slot: int, records: list[PresenceRecord],
                              day: dt.date, server_time: dt.datetime) -> None:
        """The server's view of who is inside this gate's zone (the sync feed, after this
        gate's outbox went up): it replaces what this log knew up to the server's time."""
        with self._tx() as db:
            db.execute("DELETE FROM presence WHERE zone_slot=? AND at<=?",
                       (zone_slot, _ts(server_time)))
            db.executemany(
                "INSERT OR IGNORE INTO presence VALUES (?, ?, ?, ?, ?)",
                [(r.badge_id, r.zone_slot, day.isoformat(), int(r.inside), _ts(r.since))
                 for r in records if r.zone_slot == zone_slot])

    # --- outbox ---------------------------------------------------------------------

    def record_verdict(
        self, scan: QueuedScan | None, presence: PresenceChange | None, *,
        set_aside_why: str | None = None,
    ) -> None:
        """One transaction (one fsync) before the verdict shows: the offline scan owed to
        the server (``None`` when the server decided it online: nothing is owed) and the
        presence change. A crash before this commit showed no verdict, and an online
        attempt that did reach the server is recorded there under its scan_id.
        ``set_aside_why``: the server already refused this scan, keep it but never send it."""
        with self._tx() as db:
            if scan is not None:
                db.execute(
                    "INSERT OR IGNORE INTO outbox (scan_id, code, gate, direction, scanned_at,"
                    " state, offline_verdict, offline_reason, set_aside_why, mode, lan_seq)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (scan.scan_id, scan.code, scan.gate, scan.direction.value,
                     scan.scanned_at.isoformat(), SET_ASIDE if set_aside_why else QUEUED,
                     scan.offline_verdict.value, scan.offline_reason.value, set_aside_why,
                     scan.mode, scan.lan_seq),
                )
                if set_aside_why:
                    _bump(db, "set_aside", 1)
            else:
                _bump(db, "online_scans", 1)
            if presence is not None:
                db.execute("INSERT OR REPLACE INTO presence VALUES (?, ?, ?, ?, ?)",
                           (presence.badge_id, presence.zone_slot, presence.day.isoformat(),
                            int(presence.inside), _ts(presence.at)))

    def queued(self, limit: int) -> list[QueuedScan]:
        with self._lock:
            rows = self._db.execute(
                "SELECT scan_id, code, gate, direction, scanned_at, offline_verdict, offline_reason,"
                " mode, lan_seq FROM outbox WHERE state=? ORDER BY seq LIMIT ?", (QUEUED, limit),
            ).fetchall()
        return [QueuedScan.from_row(r) for r in rows]

    def mark_uploaded(self, scan_ids: list[str]) -> None:
        """The server has them: drop the rows and with them the raw codes."""
        with self._tx() as db:
            db.executemany("DELETE FROM outbox WHERE scan_id=?", [(s,) for s in scan_ids])
            _bump(db, "uploaded", len(scan_ids))
        with self._lock:
            # The WAL still holds the old pages with the codes until a checkpoint.
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def set_aside(self, scan_id: str, why: str) -> None:
        """The server refuses this scan for good: keep it (shown, counted), never resend."""
        with self._tx() as db:
            changed = db.execute(
                "UPDATE outbox SET state=?, set_aside_why=? WHERE scan_id=? AND state=?",
                (SET_ASIDE, why[:500], scan_id, QUEUED),
            ).rowcount
            _bump(db, "set_aside", changed)

    def set_aside_scans(self) -> list[tuple[str, str]]:
        """(scan_id, why) of every scan set aside, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT scan_id, set_aside_why FROM outbox WHERE state=? ORDER BY seq",
                (SET_ASIDE,)).fetchall()
        return [(str(r[0]), str(r[1] or "")) for r in rows]

    def queued_count(self) -> int:
        return self._count(QUEUED)

    def set_aside_count(self) -> int:
        return self._count(SET_ASIDE)

    def _count(self, state: str) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM outbox WHERE state=?",
                                        (state,)).fetchone()[0])

    def counter(self, key: str) -> int:
        """A running total kept in meta ("uploaded", "online_scans", "set_aside")."""
        return int(self.get_meta(key) or 0)


def _ts(moment: dt.datetime) -> str:
    """Presence times as fixed-width UTC text, so SQLite compares them in time order."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _put_meta(db: sqlite3.Connection, key: str, value: Any) -> None:
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))


def _bump(db: sqlite3.Connection, key: str, by: int) -> None:
    row = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    _put_meta(db, key, (json.loads(row[0]) if row else 0) + by)
