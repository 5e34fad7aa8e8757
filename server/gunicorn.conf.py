# The one production command (docker-compose and the tests start the same one):
#   gunicorn -c server/gunicorn.conf.py server.wsgi:app
import multiprocessing
import os

bind = os.environ.get("ADMIT_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * multiprocessing.cpu_count())))
# Threads let one worker overlap database waits; the check-in path releases the GIL there.
worker_class = "gthread"
threads = int(os.environ.get("ADMIT_THREADS", "4"))
timeout = 30
graceful_timeout = 10
keepalive = 5
accesslog = os.environ.get("ADMIT_ACCESS_LOG") or None
errorlog = "-"

# Prometheus counters from every worker land in one directory that /metrics sums; it must
# be set before a worker imports prometheus_client, and start empty for this master.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    import tempfile

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="admit-metrics-")


def on_starting(server: object) -> None:
    import glob

    for stale in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.unlink(stale)


def child_exit(server: object, worker: object) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
# X-Forwarded-* headers are believed only through PROXY_COUNT (werkzeug's ProxyFix in the
# app, see server/security.py), not by gunicorn for any client on 127.0.0.1.
forwarded_allow_ips = ""
# Whatever the server writes (SQLite database, instance secrets, outbox) is private.
umask = 0o077
