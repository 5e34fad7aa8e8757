"""Where queued jobs run. With ``REDIS_URL``: an RQ queue that ``flask --app server
worker`` processes consume (any number, on any host). Without: one thread in this
server process, so ``make run`` stays one command. Both only carry a job record's id;
the record in the database says what to run and where it stands."""

from __future__ import annotations

import logging
import queue
import threading
from typing import Protocol

from flask import Flask

from .connection import redis_client

log = logging.getLogger(__name__)
RQ_ENTRY = "server.jobs.runner.run_in_worker"
JOB_TIMEOUT_S = 6 * 3600  # a chunk never takes this long; RQ's 180 s default could


class Backend(Protocol):
    name: str

    def enqueue(self, record_id: int) -> None: ...

    def depth(self) -> int: ...


class RqBackend:
    name = "rq"

    def __init__(self, url: str, queue_name: str) -> None:
        from rq import Queue

        self.queue = Queue(queue_name, connection=redis_client(url))

    def enqueue(self, record_id: int) -> None:
        # Called after the record committed, so a fast worker always finds it.
        self.queue.enqueue(RQ_ENTRY, record_id, job_timeout=JOB_TIMEOUT_S,
                           result_ttl=3600, failure_ttl=7 * 86400)

    def depth(self) -> int:
        return len(self.queue)


class LocalBackend:
    """A daemon thread draining an in-process queue: the embedded default."""

    name = "local"

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.queue: queue.Queue[int] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def enqueue(self, record_id: int) -> None:
        self.queue.put(record_id)
        with self._lock:
            # Started on first use, never at import or in the app factory: CLI commands
            # and the server's master must not carry a thread across fork.
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="admit-jobs",
                                                daemon=True)
                self._thread.start()

    def depth(self) -> int:
        return self.queue.qsize()

    def _loop(self) -> None:
        from .runner import run

        while True:
            record_id = self.queue.get()
            try:
                run(self.app, record_id, self.enqueue)
            except Exception:  # the runner records failures; this guards the thread itself
                log.exception("job %s crashed the local runner", record_id)
            finally:
                self.queue.task_done()

    def drain(self) -> None:
        """Wait until every job handed to this thread so far (and what they enqueued)
        has run: the CLI's embedded mode."""
        self.queue.join()


def backend(app: Flask) -> Backend:
    found: Backend | None = app.extensions.get("admit_jobs")
    if found is None:
        url = app.config.get("REDIS_URL")
        found = RqBackend(url, app.config["JOBS_QUEUE"]) if url else LocalBackend(app)
        app.extensions["admit_jobs"] = found
    return found


def queue_depths(app: Flask) -> dict[str, int]:
    be = backend(app)
    try:
        return {app.config["JOBS_QUEUE"] if be.name == "rq" else "local": be.depth()}
    except Exception:  # Redis down: /readyz says so; a scrape must still answer
        log.warning("queue depth unavailable", exc_info=True)
        return {}
