"""Nothing stalls a gate: a database held by someone else, a long import, a database that
stops answering. A scan gets an answer (503 with the envelope when it cannot be decided),
and the server recovers by itself. Real server processes, real databases."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator

import pytest
import requests

from tests.support.factories import new_badge
from tests.support.faultproxy import FaultProxy
from tests.support.live import LiveServer

EXIT = "Prelude Hall Exit"  # exits always admit: every answer here is about the database


def _scan(server: LiveServer, code: str) -> requests.Response:
    return requests.post(f"{server.url}/api/v1/scans", timeout=60,
                         headers={"Authorization": f"Bearer {server.tokens['gate']}"},
                         json={"scan_id": str(uuid.uuid4()), "code": code, "gate": EXIT})


@pytest.fixture(scope="module")
def sqlite_server() -> Iterator[LiveServer]:
    server = LiveServer("sqlite", attendees=5).start()
    yield server
    server.stop()


def test_sqlite_held_by_another_process_answers_busy_then_recovers(
        sqlite_server: LiveServer) -> None:
    badge = new_badge(sqlite_server)
    path = sqlite_server.database_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # an external writer that does not let go
    try:
        answer = _scan(sqlite_server, badge.code)
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "busy"
        assert requests.get(f"{sqlite_server.url}/healthz", timeout=30).status_code == 200
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _scan(sqlite_server, badge.code).status_code == 200


def test_a_large_import_lets_scans_through(sqlite_server: LiveServer) -> None:
    """Scans typed while a big import writes are recorded between its chunks: in the
    audit log (one sequence for both), typed-number entries fall between the import's
    first and last ``attendee.create``. One long import transaction would keep them out."""
    badge = new_badge(sqlite_server)
    rows = "\n".join(f"Import Person {i},Org,DE,imp{i}-{uuid.uuid4().hex[:6]}@example.org,en,"
                     f"Exhibitor," for i in range(1500))
    csv = "name,organization,country,email,language,access_level,days\n" + rows + "\n"
    result: list[requests.Response] = []

    def run_import() -> None:
        result.append(requests.post(
            f"{sqlite_server.url}/api/v1/attendees/import", data=csv.encode(), timeout=600,
            headers={"Authorization": f"Bearer {sqlite_server.tokens['admin']}",
                     "Content-Type": "text/csv"}))

    importer = threading.Thread(target=run_import)
    importer.start()
    during: list[int] = []
    while importer.is_alive():
        during.append(_scan(sqlite_server, badge.number).status_code)
    importer.join()
    assert result[0].status_code == 200, result[0].text[:300]
    assert result[0].json()["created"] == 1500
    assert during and set(during) == {200}, during
    path = sqlite_server.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        creates = [i for (i,) in conn.execute(
            "SELECT id FROM audit_log WHERE action = 'attendee.create' AND target IN "
            "(SELECT 'attendee:' || id FROM attendees WHERE email LIKE 'imp%')")]
        between = conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'scan.typed_number' "
            "AND id > ? AND id < ?", (min(creates), max(creates))).fetchone()[0]
    assert len(creates) == 1500
    assert between > 0


def _behind_proxy(workers: int) -> Iterator[tuple[LiveServer, FaultProxy]]:
    proxy = FaultProxy("127.0.0.1", 5432)
    server = LiveServer("postgres", attendees=5, workers=workers)
    server.database_url = server.database_url.replace("127.0.0.1:5432",
                                                      f"127.0.0.1:{proxy.port}")
    server.env["DATABASE_URL"] = server.database_url
    server.start()
    yield server, proxy
    proxy.set_mode("pass")
    server.stop()
    proxy.close()


@pytest.fixture(scope="module")
def pg_behind_proxy() -> Iterator[tuple[LiveServer, FaultProxy]]:
    """A PostgreSQL server the test can silence: the server reaches it through a proxy."""
    yield from _behind_proxy(workers=2)


@pytest.fixture(scope="module")
def one_worker_behind_proxy() -> Iterator[tuple[LiveServer, FaultProxy]]:
    """As above, one worker: every request meets the same two pools (lane and ORM)."""
    yield from _behind_proxy(workers=1)


@pytest.mark.parametrize("fault", ["stall", "refuse"])
def test_postgres_not_answering_gives_503_then_recovers(
        pg_behind_proxy: tuple[LiveServer, FaultProxy], fault: str) -> None:
    server, proxy = pg_behind_proxy
    badge = new_badge(server)
    assert _scan(server, badge.code).status_code == 200  # pooled connections are open
    proxy.set_mode(fault)
    if fault == "refuse":
        proxy.drop_connections()  # the database went away: its connections end too
    try:
        for _ in range(3):  # pooled connections and new ones alike
            answer = _scan(server, badge.code)
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"]["code"] == "database_unavailable"
    finally:
        proxy.set_mode("pass")
    answer = _scan(server, badge.code)
    assert answer.status_code == 200, answer.text  # recovered by itself


@pytest.mark.parametrize("first", ["lane", "full"])
def test_a_disconnect_seen_on_one_pool_retires_the_other_pools_connections(
        one_worker_behind_proxy: tuple[LiveServer, FaultProxy], first: str) -> None:
    """The scan lane and the rest of the server keep separate pools. The database drops
    every connection and is back within a second (a restart, a failover): the next
    request on the pool that did not see it fail must not get a dead connection. Badge
    codes take the lane, typed numbers the full path."""
    server, proxy = one_worker_behind_proxy
    badge = new_badge(server)
    lane, full = badge.code, badge.number
    assert _scan(server, lane).status_code == 200
    assert _scan(server, full).status_code == 200  # both pools hold an open connection
    proxy.set_mode("refuse")
    proxy.drop_connections()
    try:
        failed = _scan(server, lane if first == "lane" else full)
        assert failed.status_code == 503, failed.text
    finally:
        proxy.set_mode("pass")
    other = _scan(server, full if first == "lane" else lane)
    assert other.status_code == 200, other.text
    assert _scan(server, lane if first == "lane" else full).status_code == 200


@pytest.mark.parametrize("path", ["lane", "full"])
def test_a_database_restart_between_two_scans_costs_no_scan(
        one_worker_behind_proxy: tuple[LiveServer, FaultProxy], path: str) -> None:
    """The database dropped every connection while the gates were quiet and is back
    within the second: the kept connection is dead, and the scan is answered on a fresh
    one, not with a 503 the gate would have to retry (the lane retries; the full path's
    pool pings at checkout). Recorded once."""
    server, proxy = one_worker_behind_proxy
    badge = new_badge(server)
    code = badge.code if path == "lane" else badge.number  # typed: the full path
    assert _scan(server, code).status_code == 200
    proxy.drop_connections()  # the connections end; new ones get through
    answer = _scan(server, code)
    assert answer.status_code == 200, answer.text
    log = requests.get(f"{server.url}/api/v1/scans", timeout=30,
                       params={"badge": badge.badge_id},
                       headers={"Authorization": f"Bearer {server.tokens['admin']}"})
    assert log.status_code == 200, log.text
    assert len(log.json()["scans"]) == 2
