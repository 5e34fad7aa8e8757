"""What one scan costs the server, in figures a loaded machine does not distort: database
round trips and statements per scan, and server CPU per scan (process time, so other
processes on the cores do not count), through the real app in this process.

    python bench/scan_cost.py [--db sqlite,postgres] [--scans 300] [--gate NAME]

Each database runs both paths: the scan lane (server/lane.py) and the full Flask path
(``SCAN_LANE`` off). Round trips on PostgreSQL = BEGIN + statements + COMMIT, each a
message exchange with the server (psycopg sends BEGIN on its own; the pool pings only
connections idle for a second, services.db; the lane runs in autocommit: none of its own). SQLite has no round
trips (it runs in the process); its statements still cost CPU. Throughput under load
is bench/scan_throughput.py's (wrk); this one says where the time per scan goes.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event  # noqa: E402

from tests.support.inproc import AppServer  # noqa: E402

GATE = "Prelude Hall Entrance"


class Counter:
    """Counts at the driver: statements (psycopg's and sqlite3's cursor.execute, whether
    SQLAlchemy or the scan path's own SQL sent them), BEGINs and COMMITs."""

    def __init__(self) -> None:
        self.statements = self.begins = self.commits = 0

    def hook(self, engine: Any) -> None:
        def on_begin(*_: Any) -> None:
            self.begins += 1

        def on_commit(*_: Any) -> None:
            self.commits += 1

        if engine.dialect.name == "postgresql":
            # At the driver: the scan lane (server/lane.py) commits on psycopg itself, and
            # psycopg sends BEGIN on its own, one per transaction that ends in a COMMIT
            # or a ROLLBACK.
            import psycopg
            from psycopg import pq

            original = psycopg.Cursor.execute
            commit, rollback = psycopg.Connection.commit, psycopg.Connection.rollback

            def execute(cur: Any, *args: Any, **kwargs: Any) -> Any:
                self.statements += 1
                return original(cur, *args, **kwargs)

            def ends(conn: Any) -> bool:
                return bool(conn.info.transaction_status != pq.TransactionStatus.IDLE)

            def on_driver_commit(conn: Any) -> None:
                if ends(conn):
                    on_begin()
                    on_commit()
                commit(conn)

            def on_driver_rollback(conn: Any) -> None:
                if ends(conn):
                    on_begin()
                    on_commit()  # a ROLLBACK is a round trip as a COMMIT is
                rollback(conn)

            psycopg.Cursor.execute = execute  # type: ignore[method-assign]
            psycopg.Connection.commit = on_driver_commit  # type: ignore[method-assign]
            psycopg.Connection.rollback = on_driver_rollback  # type: ignore[method-assign]
        else:
            event.listen(engine, "begin", on_begin)
            event.listen(engine, "commit", on_commit)
            event.listen(engine, "before_cursor_execute", lambda *_: self._count())

    def _count(self) -> None:
        self.statements += 1

    def snapshot(self) -> tuple[int, int, int]:
        return self.statements, self.begins, self.commits


def measure(db_kind: str, scans: int, gate: str) -> None:
    server = AppServer(db_kind, Path(tempfile.mkdtemp(prefix="admit-cost-")),
                       attendees=scans * 3 + 30).start()
    try:
        app = server.app
        with app.app_context():
            from server.extensions import db
            from server.models import Badge

            codes = [c for (c,) in db.session.query(Badge.code).order_by(Badge.id)]
            counter = Counter()
            counter.hook(db.engine)
            db.session.remove()
        client = app.test_client()
        logging.getLogger("admit.request").disabled = True  # one line per request otherwise
        headers = {"Authorization": f"Bearer {server.tokens['gate']}"}

        def post(code: str) -> str:
            resp = client.post("/api/v1/scans", headers=headers,
                               json={"scan_id": str(uuid.uuid4()), "code": code, "gate": gate})
            return str(resp.get_json()["reason"])

        for code in codes[:20]:  # warm: caches, compiled statements, pool
            post(code)
        paths = ("lane", "full")
        parts = {path: codes[20 + i * scans:20 + (i + 1) * scans] for i, path in enumerate(paths)}
        runs = [(path, kind, parts[path]) for path in paths for kind in ("distinct", "repeats")]
        for path, kind, batch in runs:
            app.config["SCAN_LANE"] = path == "lane"
            before = counter.snapshot()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            reasons: dict[str, int] = {}
            for code in batch:
                reason = post(code)
                reasons[reason] = reasons.get(reason, 0) + 1
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            st, be, co = (a - b for a, b in zip(counter.snapshot(), before, strict=True))
            n = len(batch)
            trips = (st + be + co) / n if db_kind == "postgres" else 0
            print(f"{db_kind:9} {path:5} {kind:9} {n:6d} {st / n:6.1f} {trips:6.1f} "
                  f"{cpu / n * 1000:8.2f} {wall / n * 1000:8.2f}  {reasons}", flush=True)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--scans", type=int, default=300)
    parser.add_argument("--gate", default=GATE)
    args = parser.parse_args()
    print(f"gate {args.gate!r}; one client, in process (Flask test client, no HTTP server)")
    print(f"{'db':9} {'path':5} {'kind':9} {'scans':>6} {'stmts':>6} {'trips':>6} {'cpu ms':>8} "
          f"{'wall ms':>8}  reasons")
    for db_kind in args.db.split(","):
        measure(db_kind, args.scans, args.gate)


if __name__ == "__main__":
    main()
