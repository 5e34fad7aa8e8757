"""The data-out jobs on the real queue: two app instances (separate instance folders, one
PostgreSQL schema) and the machine's Redis, with a real ``flask --app server worker``.
The report is rendered by the worker and handed out by the other instance; the scheduled
tick runs once per interval across every process of both instances."""

from __future__ import annotations

import io
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader
from redis import Redis

from tests.support.live import LiveServer, pg_available
from tests.support.topology import Process, start_worker

INTERVAL_S = 0.2


@dataclass
class Pair:
    a: LiveServer
    b: LiveServer
    redis: Redis
    queue: str
    worker_log: Path


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    if not pg_available():
        pytest.skip("PostgreSQL not reachable")
    redis_url = f"redis://127.0.0.1:6379/{random.randint(1, 15)}"
    queue = f"admit-test-{uuid.uuid4().hex[:8]}"
    shared = {"REDIS_URL": redis_url, "JOBS_QUEUE": queue,
              "ADMIT_WORKER_INTERVAL_S": str(INTERVAL_S)}
    a = LiveServer("postgres", attendees=10, env=shared)
    b = LiveServer("sqlite", attendees=10, env=shared)  # its own instance folder
    b.env["DATABASE_URL"] = b.database_url = a.database_url
    redis = Redis.from_url(redis_url)
    try:
        a.start()
        b.start()
        yield Pair(a, b, redis, queue, tmp_path_factory.mktemp("worker") / "worker.log")
    finally:
        b.stop()  # B has no schema of its own; A's stop drops the shared one
        a.stop()
        for key in redis.scan_iter(f"*{queue}*"):
            redis.delete(key)


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)


def test_the_worker_renders_the_report_and_any_instance_hands_it_out(pair: Pair) -> None:
    admin_a, admin_b = pair.a.session("admin"), pair.b.session("admin")
    # No worker yet: with Redis the servers only queue the job, so it cannot be done.
    first = admin_a.get(f"{pair.a.url}/api/v1/reports/event.pdf", params={"wait": 0})
    assert first.status_code == 202, first.text
    job = first.json()["job"]
    record = admin_b.get(f"{pair.b.url}/api/v1/jobs/{job}").json()
    assert (record["kind"], record["state"]) == ("reports.render", "queued"), record
    assert admin_b.get(f"{pair.b.url}{first.json()['poll']}").status_code == 202

    worker: Process = start_worker(pair.a.env, 1, pair.worker_log)
    try:
        # The route waits on the job record (up to 60 s) and answers with the PDF.
        resp = admin_b.get(f"{pair.b.url}/api/v1/reports/event.pdf", timeout=120)
        assert resp.status_code == 200, (resp.text, pair.worker_log.read_text())
        assert resp.headers["Content-Type"] == "application/pdf"
        assert "Post-event report" in _pdf_text(resp.content)
        # One worker process takes jobs in order: the first job finished before this one,
        # and instance B (which shares no folder with A) hands out its PDF too.
        polled = admin_b.get(f"{pair.b.url}{first.json()['poll']}")
        assert polled.status_code == 200, polled.text
        assert polled.content.startswith(b"%PDF")
        assert admin_a.get(f"{pair.a.url}/api/v1/jobs/{job}").json()["state"] == "done"
        assert worker.alive(), pair.worker_log.read_text()
    finally:
        worker.stop()
    assert list(pair.a.instance.glob("reports/*")) == []  # nothing filed on a host's disk


def test_two_instances_run_each_scheduled_tick_once(pair: Pair) -> None:
    """Four scheduler threads (two server workers per instance) share Redis; each
    interval's slot is run by one of them, recorded in the scheduler's tick list."""
    key = f"admit:{pair.queue}:scheduler:ticks"
    wanted = 15
    deadline = time.monotonic() + 60
    while pair.redis.llen(key) < wanted and time.monotonic() < deadline:
        time.sleep(INTERVAL_S)  # the schedulers run on their own clock; polling their log
    entries = [e.decode().split() for e in pair.redis.lrange(key, 0, -1)]
    assert len(entries) >= wanted, entries
    slots = [int(slot) for slot, _who in entries]
    # Every process tries every slot (without the claim each would appear four times).
    assert len(slots) == len(set(slots)), sorted(slots)
