"""``flask --app server worker``: RQ worker processes for the job queue; and the CLI's
queued badge send (``send-badges --queue``)."""

from __future__ import annotations

import os
import sys
import time

import click
from flask import Flask, current_app

from . import records, runner
from .backends import LocalBackend, backend
from .connection import redis_client


def register(app: Flask) -> None:
    @app.cli.command("worker")
    @click.option("--processes", type=int, default=None,
                  help="Worker processes (default: one per CPU).")
    @click.option("--burst", is_flag=True, help="Exit once the queue is empty.")
    def worker_cmd(processes: int | None, burst: bool) -> None:
        """Run job worker processes on the Redis queue (REDIS_URL)."""
        from rq import SimpleWorker
        from rq.worker_pool import WorkerPool

        url = current_app.config.get("REDIS_URL")
        if not url:
            click.secho("error: REDIS_URL is not set; without it jobs run inside the server",
                        fg="red", err=True)
            sys.exit(1)
        count = processes or os.cpu_count() or 1
        # SimpleWorker runs each job in its process (no fork per job), so one Flask app
        # and its connection pool serve every job that process takes.
        runner.use_app(current_app._get_current_object())  # type: ignore[attr-defined]
        queue = current_app.config["JOBS_QUEUE"]
        click.echo(f"admit worker: {count} process(es) on queue {queue!r}", err=True)
        if count == 1:
            SimpleWorker([queue], connection=redis_client(url, timeout=None)).work(burst=burst)
            return
        pool = WorkerPool([queue], connection=redis_client(url, timeout=None),
                          num_workers=count, worker_class=SimpleWorker)
        pool.start(burst=burst)


def queue_send(resend: bool, only: list[int] | None) -> None:
    """Queue a bulk send and follow it to the end (embedded: this process runs it)."""
    from .badges import start_bulk_send

    record_id = start_bulk_send("cli", resend=resend, only=only)
    click.echo(f"job {record_id} queued", err=True)
    be = backend(current_app._get_current_object())  # type: ignore[attr-defined]
    if isinstance(be, LocalBackend):
        be.drain()
    while True:
        from ..extensions import db

        db.session.rollback()  # a fresh snapshot each look
        job = records.view(record_id)
        click.echo(f"\rjob {record_id}: {job.state} {job.done}/{job.total}", nl=False, err=True)
        if job.state in (records.DONE, records.FAILED):
            break
        time.sleep(1.0)  # following progress for a person, not synchronising anything
    click.echo("", err=True)
    click.echo(f"job {record_id} {job.state}" + (f": {job.error}" if job.error else ""))
    if job.state != records.DONE:
        sys.exit(2)
