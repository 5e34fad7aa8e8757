"""The one production command (docker-compose, ``make run`` and the tests start it):

    python -m server.serve

Granian (a Rust HTTP server, PyPI ``granian``) runs ``server.wsgi:app`` in
``WEB_CONCURRENCY`` worker processes (default two per core) of ``ADMIT_THREADS`` request
threads each (default 4), bound to ``ADMIT_BIND`` (default ``0.0.0.0:8000``, ``[::]:8000``
for IPv6).

Why not gunicorn (the server until issue 12's sixth round): measured side by side on the
same database and load (``bench/scan_throughput.py``), gunicorn's gthread worker spends
its request thread and its main loop thread on every request (parse, hand over through a
queue, hand back to the poller), and on 2 cores those handovers fight for the GIL: at 16
and 64 clients Granian did 1.2-1.5x the scans per second (PostgreSQL 1.3-1.55x), p99 at 64
clients on PostgreSQL 76 ms instead of 127 (the closing note of issue 12 has the figures).
Four request threads per worker: two gave PostgreSQL 5-15% more at saturation, but a
gate's keep-alive connection stays with one worker, and a slow request there (an XLSX
export) would leave its scans one thread. HTTP parsing, keep-alive and the socket work happen
in Rust outside the GIL; the app is plain WSGI, so nothing in it changed.

What gunicorn's config file did is done here, before any worker starts: a private umask
(SQLite database, instance secrets, outbox), and an empty directory for the Prometheus
counters that every worker writes and ``/metrics`` sums. Workers that die are started
again (``respawn_failed_workers``). No X-Forwarded-* header is believed by the server
itself: werkzeug's ProxyFix in the app does that, through ``PROXY_COUNT``.
"""

from __future__ import annotations

import glob
import os
import tempfile

from granian.constants import HTTPModes, Interfaces
from granian.log import LogLevels
from granian.server import Server

DEFAULT_BIND = "0.0.0.0:8000"
GRACE_S = 10  # a stopping worker's requests may finish within this


def bind_of(text: str) -> tuple[str, int]:
    """``host:port`` or ``[v6 host]:port`` -> (host, port)."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise SystemExit(f"ADMIT_BIND must be host:port, not {text!r}")
    return host.removeprefix("[").removesuffix("]"), int(port)


def prepare_metrics_dir() -> str:
    """Counters from every worker land in one directory that /metrics sums. It must be
    set before a worker imports prometheus_client, and start empty for this server
    (a previous run's counts would be added to this one's)."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="admit-metrics-")
    os.makedirs(path, exist_ok=True)
    for stale in glob.glob(os.path.join(path, "*.db")):
        os.unlink(stale)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path


def build() -> Server:
    host, port = bind_of(os.environ.get("ADMIT_BIND", DEFAULT_BIND))
    workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1))))
    threads = int(os.environ.get("ADMIT_THREADS", "4"))
    return Server(
        "server.wsgi:app", address=host, port=port, interface=Interfaces.WSGI,
        workers=workers, blocking_threads=threads,
        # HTTP/1.1 only: gates, browsers and nginx speak it; h2c would be surface unused.
        http=HTTPModes.http1, websockets=False,
        respawn_failed_workers=True, workers_kill_timeout=GRACE_S,
        log_level=LogLevels.info, log_access=False)


def main() -> None:
    os.umask(0o077)  # whatever the server writes is private
    prepare_metrics_dir()
    build().serve()


if __name__ == "__main__":
    main()
