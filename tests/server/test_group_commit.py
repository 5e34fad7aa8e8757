"""SQLite group commit (services.entry.groupcommit): scans queued while the writer is busy
are decided in one transaction and committed once; one that fails fails alone, and no
thread is answered before the commit. The scan-level guarantees (exactly one admit of a
badge scanned at once, each scan stored once) are test_concurrency.py's, on both
databases, through a real server."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.extensions import db
from server.models import AuditEntry
from server.services.accounts import audit
from server.services.entry import groupcommit
from tests.support.inproc import AppServer

N = 5
FAILING = 2


def _wait_until(condition: object, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the scans never queued"
        time.sleep(0.005)  # polling a condition with a deadline


def test_queued_scans_share_one_commit_and_a_failing_one_fails_alone(tmp_path: Path) -> None:
    server = AppServer("sqlite", tmp_path, attendees=2).start()
    app = server.app
    results: dict[int, object] = {}
    committed_when_answered: dict[int, bool] = {}

    def scan(i: int) -> None:
        with app.app_context():
            def work() -> int:
                if i == FAILING:
                    raise IntegrityError("INSERT INTO scans", {}, Exception("repeated scan_id"))
                audit.record("test", "group.commit", f"item:{i}")
                return i
            try:
                results[i] = groupcommit.run(work)
            except IntegrityError as exc:
                results[i] = exc
            # Read on a connection of its own: the row is on disk when the thread answers.
            with db.engine.connect() as conn:
                committed_when_answered[i] = conn.scalar(select(AuditEntry.id).where(
                    AuditEntry.target == f"item:{i}")) is not None

    try:
        groupcommit._runner.acquire()  # the writer is busy: the scans queue behind it
        threads = [threading.Thread(target=scan, args=(i,)) for i in range(N)]
        for t in threads:
            t.start()
        _wait_until(lambda: len(groupcommit._queue) == N, 30)
        groupcommit._runner.release()
        for t in threads:
            t.join(60)
        assert isinstance(results.pop(FAILING), IntegrityError)
        assert results == {i: (i, N) for i in range(N) if i != FAILING}  # one commit for all
        assert committed_when_answered == {i: i != FAILING for i in range(N)}
        with app.app_context():
            stored = set(db.session.scalars(select(AuditEntry.target).where(
                AuditEntry.action == "group.commit")))
        assert stored == {f"item:{i}" for i in range(N) if i != FAILING}
    finally:
        if groupcommit._runner.locked() and not results:
            groupcommit._runner.release()
        server.stop()
