"""Bulk badge sending through the job queue, end to end: 1,000 badge emails, each with its
PDF rendered and its state committed before and after the send, to an aiosmtpd server on
127.0.0.1, with 1 and with 2 worker processes (``flask --app server worker``) on Redis.

Run: .venv/bin/python bench/mail_jobs.py [--count 1000] [--workers 1,2] [--db postgres]
Needs Redis on 127.0.0.1:6379 (a random database 1-15 and its own queue name are used).
Prints emails/s per worker count; each run resends everything (``resend``).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiosmtpd.controller import Controller  # noqa: E402

from tests.support.live import LiveServer, free_port  # noqa: E402
from tests.support.topology import start_worker  # noqa: E402


class Sink:
    def __init__(self) -> None:
        self.messages = 0
        self.message_ids: set[str] = set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages += 1
        for line in envelope.content.split(b"\r\n", 60):
            if line.lower().startswith(b"message-id:"):
                self.message_ids.add(line.split(b":", 1)[1].strip().decode())
                break
        return "250 OK"


def send_once(env: dict[str, str]) -> tuple[int, float]:
    """Queue a resend of everyone and wait for it; returns (emails, seconds)."""
    os.environ.update(env)
    from server import create_app
    from server.extensions import db
    from server.jobs import records
    from server.jobs.badges import start_bulk_send

    app = create_app()
    with app.app_context():
        started = time.perf_counter()
        record_id = start_bulk_send("bench", resend=True)
        while True:
            db.session.rollback()
            job = records.view(record_id)
            if job.state in ("done", "failed"):
                break
            time.sleep(0.2)  # polling the workers' recorded progress
        elapsed = time.perf_counter() - started
        if job.state != "done":
            raise SystemExit(f"job {record_id} {job.state}: {job.error}")
        db.engine.dispose()
    return job.total, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--db", default="postgres", choices=["postgres", "sqlite"])
    parser.add_argument("--chunk", type=int, default=50)
    args = parser.parse_args()

    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port(), ready_timeout=10)
    smtp.start()
    env = {"REDIS_URL": f"redis://127.0.0.1:6379/{random.randint(1, 15)}",
           "JOBS_QUEUE": f"admit-bench-{uuid.uuid4().hex[:8]}", "MAIL_RATE_PER_S": "0",
           "JOBS_CHUNK_SIZE": str(args.chunk), "SMTP_HOST": "127.0.0.1",
           "SMTP_PORT": str(smtp.port), "SMTP_TLS": "none", "REQUEST_LOG": "0"}
    server = LiveServer(args.db, attendees=args.count, env=env)
    server.env.update(env)
    print(f"seeding {args.count} attendees with badges ({args.db}) ...", flush=True)
    server.cli("seed-demo", "--attendees", str(args.count))
    print(f"{'workers':>7} {'emails':>7} {'seconds':>8} {'emails/s':>9}")
    try:
        for count in (int(w) for w in args.workers.split(",")):
            worker = start_worker(server.env, count, server.instance / f"worker-{count}.log")
            try:
                before = sink.messages
                emails, elapsed = send_once({**server.env})
                assert sink.messages - before == emails, (sink.messages - before, emails)
                print(f"{count:7d} {emails:7d} {elapsed:8.1f} {emails / elapsed:9.1f}", flush=True)
            finally:
                worker.stop()
        print(f"distinct Message-IDs: {len(sink.message_ids)} (one per attendee and revision)")
    finally:
        server.stop()
        smtp.stop()


if __name__ == "__main__":
    main()
