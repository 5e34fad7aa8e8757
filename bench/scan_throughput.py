"""Scan throughput and latency through real HTTP to the production server command.

    python bench/scan_throughput.py [--db sqlite,postgres] [--clients 1,16,64]
                                    [--client wrk|python] [--seconds 8] [--scans 1500]
                                    [--front direct|nginx]
                                    [--gate NAME] [--workers 4] [--threads 4]
                                    [--server granian,gunicorn]

For each database and client count: distinct badges (admitted) and repeats of badges
already inside (denied). The default load generator is wrk (C, closed loop, one
connection per client, bench/wrk_scans.lua), so the client takes little of the 2 cores
it shares with the server; ``--client python`` uses requests in threads instead. Reference (DESIGN.md): pretix 2026.8,
2 cores / PostgreSQL / 2 gunicorn workers: ~55 scans/s, p50 37 ms at one client,
34/s saturated, p99 2.0 s at 64 clients.
``--server granian,gunicorn`` runs each database on both servers, one after the other in
the same session: Granian (``python -m server.serve``, production) and gunicorn's gthread
worker with the same workers and threads (the server before it, as a baseline; a dev
dependency); the last lines print Granian's rate as a multiple of gunicorn's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.live import LiveServer, free_port  # noqa: E402

GATE = "Prelude Hall Entrance"
PER_SECOND = 1500  # badges per second of a wrk run: each request of a distinct run new
PRETIX = {1: 28, 16: 56, 64: 62}  # scans/s by clients, pretix 2026.8 (issue 12)
# None: the production command. gunicorn: the gthread baseline, as its config file was.
SERVERS: dict[str, list[str] | None] = {
    "granian": None,
    "gunicorn": [sys.executable, "-m", "gunicorn", "--worker-class", "gthread",
                 "--workers", "{workers}", "--threads", "{threads}", "--bind", "{bind}",
                 "--keep-alive", "5", "server.wsgi:app"],
}


def codes_of(server: LiveServer) -> list[str]:
    from server import create_app
    from server.extensions import db
    from server.models import Badge

    app = create_app({"SQLALCHEMY_DATABASE_URI": server.database_url,
                      "INSTANCE_PATH": str(server.instance)})
    with app.app_context():
        codes = [b.code for b in db.session.query(Badge).order_by(Badge.id)]
        db.engine.dispose()
    return codes


def run(server: LiveServer, codes: list[str], clients: int) -> tuple[float, list[float], dict[str, int]]:
    latencies: list[float] = []
    reasons: dict[str, int] = {}
    lock = threading.Lock()
    it = iter(codes)

    def worker() -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {server.tokens['gate']}"
        while True:
            with lock:
                code = next(it, None)
            if code is None:
                return
            t0 = time.perf_counter()
            resp = session.post(f"{server.url}/api/v1/scans", timeout=30,
                                json={"scan_id": str(uuid.uuid4()), "code": code, "gate": GATE})
            elapsed = time.perf_counter() - t0
            reason = resp.json().get("reason", f"http{resp.status_code}")
            with lock:
                latencies.append(elapsed * 1000)
                reasons[reason] = reasons.get(reason, 0) + 1

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for _ in range(clients):
            pool.submit(worker)
    return time.perf_counter() - start, latencies, reasons


def run_wrk(server: LiveServer, codes: list[str], clients: int, seconds: int,
            url: str | None = None) -> tuple[int, float, float, float, float, int]:
    path = server.instance / f"codes-{clients}-{len(codes)}.txt"
    path.write_text("\n".join(codes))
    env = {**os.environ, "ADMIT_CODES": str(path), "ADMIT_TOKEN": server.tokens["gate"],
           "ADMIT_GATE": GATE}
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(clients), "-d", f"{seconds}s",
         "-s", str(Path(__file__).with_name("wrk_scans.lua")), url or server.url],
        env=env, capture_output=True, text=True, timeout=seconds + 60, check=True)
    fields = next(ln for ln in out.stdout.splitlines() if ln.startswith("WRK")).split()[1:]
    requests_done, duration = int(fields[0]), float(fields[1])
    p50, p95, p99, errors = float(fields[2]), float(fields[3]), float(fields[4]), int(fields[5])
    return requests_done, duration, p50, p95, p99, errors


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] if len(values) > 1 else values[0]


def main() -> None:
    global GATE  # run() and run_wrk() read it
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--clients", default="1,16,64")
    parser.add_argument("--client", choices=["wrk", "python"],
                        default="wrk" if shutil.which("wrk") else "python")
    parser.add_argument("--seconds", type=int, default=8, help="per wrk run")
    parser.add_argument("--scans", type=int, default=1500, help="per python run")
    parser.add_argument("--front", choices=["direct", "nginx"], default="direct",
                        help="nginx: two instances on one database behind deploy/nginx.conf")
    parser.add_argument("--gate", default=GATE,
                        help="e.g. 'Opening Ceremony Hall Entrance': a zone with a capacity")
    # The production defaults (server/serve.py): two workers per core, 4 threads each.
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1),
                        help="server worker processes")
    parser.add_argument("--threads", type=int, default=4, help="request threads per worker")
    parser.add_argument("--server", default="granian",
                        help="granian (production), gunicorn (gthread baseline), or both")
    parser.add_argument("--env", action="append", default=[],
                        help="NAME=VALUE for the server, e.g. SCAN_LANE=0 (the full path)")
    args = parser.parse_args()
    GATE = args.gate
    if args.front == "nginx":
        run_behind_nginx(args)
        return
    server_env = dict(item.split("=", 1) for item in args.env)
    client_counts = [int(c) for c in args.clients.split(",")]
    # distinct runs need a fresh badge per request: ~1,000/s at most here, with margin
    per_run = args.seconds * PER_SECOND if args.client == "wrk" else args.scans
    print(f"client: {args.client}; reference pretix 2026.8 (issue 12, same kind of machine, "
          f"wrk): {PRETIX[1]}/s at one client, {PRETIX[16]}/s at 16, {PRETIX[64]}/s at 64 "
          f"(p99 1.1 s)")
    print(f"gate {GATE!r}; {args.workers} workers x {args.threads} threads"
          + (f"; {' '.join(args.env)}" if args.env else ""))
    print(f"{'db':9} {'server':8} {'kind':9} {'clients':>7} {'scans':>6} {'scans/s':>8} "
          f"{'x pretix':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}  notes")
    rates: dict[tuple[str, str, str, int], float] = {}
    runs = [(db, name) for db in args.db.split(",") for name in args.server.split(",")]
    for db_kind, name in runs:
        server = LiveServer(db_kind, attendees=per_run * len(client_counts) + 10,
                            workers=args.workers, threads=args.threads, env=server_env,
                            command=SERVERS[name]).start()
        try:
            codes = codes_of(server)
            used = 0
            for clients in client_counts:
                batch = codes[used: used + per_run]
                used += per_run
                for kind in ("distinct", "repeats"):
                    if args.client == "wrk":
                        n, elapsed, p50, p95, p99, errors = run_wrk(server, batch, clients, args.seconds)
                        batch = batch[:n]  # the repeats run presents exactly these again
                        notes = f"errors={errors}"
                    else:
                        elapsed, lat, reasons = run(server, batch, clients)
                        n, p50, p95, p99 = len(lat), pct(lat, 50), pct(lat, 95), pct(lat, 99)
                        notes = str(reasons)
                    rate = rates[db_kind, name, kind, clients] = n / elapsed
                    print(f"{db_kind:9} {name:8} {kind:9} {clients:7d} {n:6d} {rate:8.0f} "
                          f"{rate / PRETIX.get(clients, PRETIX[64]):8.1f} "
                          f"{p50:7.1f} {p95:7.1f} {p99:7.1f}  {notes}", flush=True)
        finally:
            server.stop()
    for (db_kind, name, kind, clients), rate in rates.items():
        base = rates.get((db_kind, "gunicorn", kind, clients))
        if name != "gunicorn" and base:
            print(f"{db_kind} {kind} {clients} clients: {name} {rate / base:.2f}x gunicorn")


def run_behind_nginx(args: argparse.Namespace) -> None:
    """The same wrk runs against nginx in front of two server instances sharing one
    database (the docker-compose topology, as real processes)."""
    import tempfile

    from tests.support.topology import start_nginx

    client_counts = [int(c) for c in args.clients.split(",")]
    per_run = args.seconds * PER_SECOND
    print(f"{'db':9} {'front':6} {'kind':9} {'clients':>7} {'scans':>6} {'scans/s':>8} "
          f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}  notes")
    for db_kind in args.db.split(","):
        if db_kind != "postgres":
            print(f"{db_kind}: skipped (two hosts cannot share a SQLite file)")
            continue
        env = {"SECRET_KEY": "bench-shared-secret", "REQUEST_LOG": "0"}
        # Two instances share the cores: each gets half the workers.
        each = {"workers": max(1, args.workers // 2), "threads": args.threads}
        a = LiveServer(db_kind, attendees=per_run * len(client_counts) + 10, env=env, **each)
        b = LiveServer("sqlite", attendees=10, env=env, **each)
        b.env["DATABASE_URL"] = b.database_url = a.database_url
        nginx = None
        try:
            a.start()
            b.start()
            prefix = Path(tempfile.mkdtemp(prefix="admit-nginx-"))
            prefix.chmod(0o755)
            port = free_port()
            nginx = start_nginx([a.url.removeprefix("http://"), b.url.removeprefix("http://")],
                                port, prefix)
            front = f"http://127.0.0.1:{port}"
            codes = codes_of(a)
            used = 0
            for clients in client_counts:
                batch = codes[used: used + per_run]
                used += per_run
                for kind in ("distinct", "repeats"):
                    n, elapsed, p50, p95, p99, errors = run_wrk(a, batch, clients, args.seconds,
                                                                url=front)
                    batch = batch[:n]
                    print(f"{db_kind:9} {'nginx':6} {kind:9} {clients:7d} {n:6d} {n / elapsed:8.0f} "
                          f"{p50:7.1f} {p95:7.1f} {p99:7.1f}  errors={errors}", flush=True)
        finally:
            if nginx is not None:
                nginx.stop()
            b.stop()
            a.stop()


if __name__ == "__main__":
    main()
