"""Gate sync figures: full pull of N badge records (seconds, bytes, client RSS), a delta
pull after a few changes, and the upload of 10,000 queued scans. Starts its own server
(SQLite) seeded with ``flask seed-demo --attendees N`` and reports how long that took.

    .venv/bin/python bench/scanner_sync.py [--badges 100000] [--queued 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scanner_client.store import GateStore  # noqa: E402
from scanner_client.sync import SyncEngine  # noqa: E402
from scanner_client.transport import DeadlineClient  # noqa: E402
from tests.support.factories import new_badge as issue_badge  # noqa: E402
from tests.support.gate import GATE  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def clone(server: LiveServer, total: int) -> None:
    """The fast path: copy the seeded attendees and badges by SQL (new ids and emails; the
    sealed blobs are copies, which the sync feed neither checks nor cares about)."""
    db = sqlite3.connect(server.database_url.removeprefix("sqlite:///"))
    cols_a = [r[1] for r in db.execute("PRAGMA table_info(attendees)")]
    cols_b = [r[1] for r in db.execute("PRAGMA table_info(badges)")]
    have = db.execute("SELECT count(*) FROM badges").fetchone()[0]
    base = db.execute("SELECT max(id) FROM attendees").fetchone()[0]
    round_ = 0
    while have < total:
        round_ += 1
        add = min(have, total - have)
        shift = base * round_
        sel_a = ", ".join(
            f"id + {shift}" if c == "id" else f"'c{round_}-' || email" if c == "email"
            else "NULL" if c == "external_id" else c for c in cols_a)
        db.execute(f"INSERT INTO attendees ({', '.join(cols_a)}) SELECT {sel_a} FROM attendees"
                   f" WHERE id <= {base} AND id IN (SELECT attendee_id FROM badges) LIMIT {add}")
        sel_b = ", ".join(f"{c} + {shift}" if c in ("id", "attendee_id") else c for c in cols_b)
        db.execute(f"INSERT INTO badges ({', '.join(cols_b)}) SELECT {sel_b} FROM badges"
                   f" WHERE id <= {base} LIMIT {add}")
        db.commit()
        have = db.execute("SELECT count(*) FROM badges").fetchone()[0]
    db.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--badges", type=int, default=100_000)
    ap.add_argument("--queued", type=int, default=10_000)
    args = ap.parse_args()
    t0 = time.perf_counter()
    seeded = min(args.badges, 1000)
    server = LiveServer("sqlite", attendees=seeded).start()
    print(f"seed-demo --attendees {seeded} + server start: {time.perf_counter() - t0:.1f} s "
          "(copying rows is quicker than seed-demo, which signs and seals each badge: ~1,000/s)")
    t0 = time.perf_counter()
    clone(server, args.badges)
    print(f"cloned rows by SQL up to {args.badges} badges: {time.perf_counter() - t0:.1f} s")
    try:
        data = Path(tempfile.mkdtemp()) / "gate"
        store = GateStore(data / "gate.sqlite3")
        engine = SyncEngine(DeadlineClient(server.url, server.tokens["gate"]), store, request_s=120)
        rss0 = rss_mb()
        t = time.perf_counter()
        pulled, size = engine.pull()
        took = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"full pull: {pulled} records in {took:.2f} s, {size / 1e6:.1f} MB over the wire, "
              f"client RSS {rss0:.0f} -> {rss_mb():.0f} MB (peak {peak:.0f} MB), "
              f"store {sum(p.stat().st_size for p in data.glob('*')) / 1e6:.1f} MB")
        changed = [issue_badge(server) for _ in range(20)]
        t = time.perf_counter()
        pulled, size = engine.pull()
        print(f"delta pull: {pulled} changed records in {(time.perf_counter() - t) * 1000:.0f} ms, "
              f"{size / 1e3:.1f} kB")
        now = dt.datetime.now(dt.UTC).isoformat()
        with store._tx() as db:
            db.executemany(
                "INSERT INTO outbox (scan_id, code, gate, direction, scanned_at, state,"
                " offline_verdict, offline_reason) VALUES (?, ?, ?, 'in', ?, 'queued', ?, ?)",
                [(str(uuid.uuid4()), changed[i % 20].code if i % 5 else f"FOREIGN{i}", GATE, now,
                  "deny", "already_inside") for i in range(args.queued)],
            )
        t = time.perf_counter()
        sent = engine.upload()
        took = time.perf_counter() - t
        print(f"upload: {sent} queued scans in {took:.1f} s ({sent / took:.0f} scans/s), "
              f"outbox left {store.queued_count()}")
        store.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
