"""Many app servers, one database: Debian's nginx in front of two server instances on
one PostgreSQL schema, the machine's Redis, and a real job worker with two processes.
The same services and commands as docker-compose.yml (tests/test_deploy.py checks)."""

from __future__ import annotations

import random
import secrets
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from tests.support.factories import new_badge
from tests.support.jobs import dashboard_login, wait_job
from tests.support.live import LiveServer, free_port, pg_available
from tests.support.smtp import SmtpServer
from tests.support.tools import require
from tests.support.topology import Process, start_nginx, start_worker

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
GATE = "Prelude Hall Entrance"
PASSWORD = "topology test password"


@dataclass
class Topology:
    a: LiveServer
    b: LiveServer
    front: str
    smtp: SmtpServer
    worker: Process

    def scan(self, url: str, code: str, gate: str = GATE) -> dict[str, object]:
        resp = self.a.session("gate").post(f"{url}/api/v1/scans", json={
            "scan_id": str(uuid.uuid4()), "code": code, "gate": gate}, timeout=30)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    require("nginx")
    if not pg_available():
        pytest.skip("PostgreSQL not reachable")
    redis_url = f"redis://127.0.0.1:6379/{random.randint(1, 15)}"
    shared = {  # what every instance shares by configuration, as in docker-compose.yml
        "SECRET_KEY": secrets.token_urlsafe(32), "KEY_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "REDIS_URL": redis_url, "JOBS_QUEUE": f"admit-test-{uuid.uuid4().hex[:8]}",
        "JOBS_CHUNK_SIZE": "4", "MAIL_RATE_PER_S": "0", "MAIL_RETRIES": "1",
        "MAIL_BACKOFF_S": "0.05", "MAIL_FROM": "Convention <badges@convention.example>",
        "PROXY_COUNT": "1",  # nginx in front, as in docker-compose.yml
    }
    processes: list[Process] = []
    with SmtpServer() as smtp:
        mail = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_TLS": "none"}
        a = LiveServer("postgres", attendees=20, env=shared)
        # B: its own instance folder (no shared files), A's database.
        b = LiveServer("sqlite", attendees=20, env=shared)
        b.env["DATABASE_URL"] = b.database_url = a.database_url
        a.env.update(mail)
        b.env.update(mail)
        try:
            a.start()
            b.start()
            worker = start_worker(a.env, 2, tmp_path_factory.mktemp("worker") / "worker.log")
            processes.append(worker)
            prefix = tmp_path_factory.mktemp("nginx")
            prefix.chmod(0o755)  # nginx's workers drop root and must reach their temp dirs
            port = free_port()
            processes.append(start_nginx(
                [a.url.removeprefix("http://"), b.url.removeprefix("http://")], port, prefix))
            yield Topology(a, b, f"http://127.0.0.1:{port}", smtp, worker)
        finally:
            for proc in reversed(processes):
                proc.stop()
            b.stop()  # B has no schema of its own; A's stop drops the shared one
            a.stop()


def test_nginx_spreads_requests_and_keeps_the_request_id(topology: Topology) -> None:
    upstreams = set()
    for i in range(12):
        resp = requests.get(f"{topology.front}/readyz", headers={"X-Request-ID": f"front-{i}"},
                            timeout=10)
        assert resp.status_code == 200 and resp.json()["redis"] == "ok", resp.text
        assert resp.headers["X-Request-ID"] == f"front-{i}"
        upstreams.add(resp.headers["X-Upstream"])
    assert upstreams == {topology.a.url.removeprefix("http://"),
                         topology.b.url.removeprefix("http://")}
    assert requests.get(f"{topology.front}/metrics", timeout=10).status_code == 404


def test_fifty_concurrent_scans_across_both_instances_admit_once(topology: Topology) -> None:
    badge = new_badge(topology.a)
    barrier = threading.Barrier(50)
    results: list[str] = []
    lock = threading.Lock()
    session = topology.a.session("gate")

    def one(i: int) -> None:
        url = (topology.a if i % 2 else topology.b).url
        body = {"scan_id": str(uuid.uuid4()), "code": badge.code, "gate": GATE}
        barrier.wait()
        resp = session.post(f"{url}/api/v1/scans", json=body, timeout=60)
        with lock:
            results.append(resp.json()["reason"] if resp.status_code == 200 else str(resp.status_code))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(results) == {"ok": 1, "already_inside": 49}


def test_a_session_from_one_instance_works_on_the_other(topology: Topology) -> None:
    topology.a.cli("create-user", "--email", "topo@admit.example", "--password", PASSWORD,
                   "--role", "admin")
    web = dashboard_login(topology.a.url, "topo@admit.example", PASSWORD)
    resp = web.get(f"{topology.b.url}/admin/attendees", timeout=10, allow_redirects=False)
    assert resp.status_code == 200 and 'id="send-all-badges"' in resp.text


def test_revoked_on_one_instance_is_denied_on_the_other_at_once(topology: Topology) -> None:
    badge = new_badge(topology.a)
    revoked = topology.a.session("security").post(
        f"{topology.a.url}/api/v1/badges/{badge.badge_id}/revoke", json={"reason": "lost"},
        timeout=10)
    assert revoked.status_code == 200, revoked.text
    assert topology.scan(topology.b.url, badge.code)["reason"] == "revoked"


def test_setup_change_on_one_instance_reaches_the_others_cache_at_once(topology: Topology) -> None:
    badge = new_badge(topology.a)
    assert topology.scan(topology.b.url, badge.code)["reason"] == "ok"  # B caches the gate
    topology.a.cli("shell", input=(
        "from server.extensions import db\nfrom server.models import Gate\n"
        f"g = db.session.query(Gate).filter_by(name={GATE!r}).one()\n"
        "g.direction = 'out'\ndb.session.commit()\n"))
    try:
        out = topology.scan(topology.b.url, badge.code)  # now an exit, not already_inside
        assert (out["verdict"], out["reason"]) == ("admit", "ok"), out
    finally:
        topology.a.cli("shell", input=(
            "from server.extensions import db\nfrom server.models import Gate\n"
            f"g = db.session.query(Gate).filter_by(name={GATE!r}).one()\n"
            "g.direction = 'in'\ndb.session.commit()\n"))


def test_badges_are_sent_by_the_worker_processes_once_each(topology: Topology) -> None:
    admin = topology.a.session("admin")
    started = admin.post(f"{topology.front}/api/v1/jobs/send-badges", json={}, timeout=10)
    assert started.status_code == 202, started.text
    second = admin.post(f"{topology.front}/api/v1/jobs/send-badges", json={}, timeout=10)
    job = wait_job(admin, topology.front, started.json()["id"], timeout_s=240)
    assert job["state"] == "done", job
    assert job["children"] == {"done": (job["total"] + 3) // 4}
    if second.status_code == 409:  # refused while the first was unfinished
        assert second.json()["error"]["code"] == "job_running"
    else:  # the first had finished: nothing was due any more
        assert wait_job(admin, topology.front, second.json()["id"])["total"] == 0
    received = topology.smtp.handler.received
    per_recipient = Counter(str(m["To"].addresses[0].addr_spec) for m in received)
    assert len(per_recipient) == job["total"] and set(per_recipient.values()) == {1}
    assert len({m["Message-ID"] for m in received}) == job["total"]
    assert topology.worker.alive(), Path(topology.worker.log).read_text()
