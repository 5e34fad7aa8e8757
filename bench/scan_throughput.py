"""Scan throughput and latency through real HTTP to the production gunicorn command.

    python bench/scan_throughput.py [--db sqlite,postgres] [--clients 1,16,64] [--scans 2000]

For each database and client count: distinct badges (admitted) and repeats of badges
already inside (denied). Clients are threads on the same 2-core machine as the server,
so the figures include the client's own cost. Reference (DESIGN.md): pretix 2026.8,
2 cores / PostgreSQL / 2 gunicorn workers: ~55 scans/s, p50 37 ms at one client,
34/s saturated, p99 2.0 s at 64 clients.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.live import LiveServer  # noqa: E402

GATE = "Prelude Hall Entrance"


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


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--clients", default="1,16,64")
    parser.add_argument("--scans", type=int, default=1500)
    args = parser.parse_args()
    client_counts = [int(c) for c in args.clients.split(",")]
    print(f"{'db':9} {'kind':9} {'clients':>7} {'scans':>6} {'scans/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}  reasons")
    for db_kind in args.db.split(","):
        server = LiveServer(db_kind, attendees=args.scans * len(client_counts) + 10).start()
        try:
            codes = codes_of(server)
            used = 0
            for clients in client_counts:
                batch = codes[used: used + args.scans]
                used += args.scans
                for kind, sample in (("distinct", batch), ("repeats", batch)):
                    elapsed, lat, reasons = run(server, sample, clients)
                    print(f"{db_kind:9} {kind:9} {clients:7d} {len(lat):6d} {len(lat) / elapsed:8.0f} "
                          f"{pct(lat, 50):7.1f} {pct(lat, 95):7.1f} {pct(lat, 99):7.1f}  {reasons}",
                          flush=True)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
