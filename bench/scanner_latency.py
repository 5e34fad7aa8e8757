"""Scan-to-verdict latency at the gate: online, offline, and the first scan after the
link turns into a blackhole. Starts its own server (SQLite) and loopback fault proxy.

    .venv/bin/python bench/scanner_latency.py [--scans 300] [--budget-ms 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scanner_client.app import GateApp, Settings  # noqa: E402
from tests.support.faultproxy import FaultProxy  # noqa: E402
from tests.support.gate import GATE, issue_badge  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402


def figures(name: str, samples: list[float]) -> None:
    s = sorted(samples)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]  # noqa: E731
    print(f"{name:<28} n={len(s):<4} p50={pick(0.5):7.1f} ms  p95={pick(0.95):7.1f} ms  "
          f"p99={pick(0.99):7.1f} ms  max={s[-1]:7.1f} ms  mean={statistics.fmean(s):7.1f} ms")


def timed(app: GateApp, code: str) -> float:
    start = time.perf_counter()
    app.submit(code)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scans", type=int, default=300)
    ap.add_argument("--budget-ms", type=float, default=300)
    args = ap.parse_args()
    server = LiveServer("sqlite").start()
    parts = urlsplit(server.url)
    proxy = FaultProxy(parts.hostname or "127.0.0.1", int(parts.port or 80))
    try:
        codes = [issue_badge(server).code for _ in range(50)]
        app = GateApp(Settings(server=proxy.url, token=server.tokens["gate"], gate=GATE,
                               data_dir=Path(tempfile.mkdtemp()) / "gate",
                               budget_ms=args.budget_ms))
        app.start()
        online = [timed(app, codes[i % 50]) for i in range(args.scans)]
        proxy.set_mode("refuse")
        app.breaker.trip()
        offline = [timed(app, codes[i % 50]) for i in range(args.scans)]
        first_after_blackhole = []
        for i in range(10):
            proxy.set_mode("pass")
            app.breaker.reset()
            proxy.set_mode("blackhole")
            first_after_blackhole.append(timed(app, codes[i]))
        print(f"gate -> loopback proxy -> server (2 workers x 8 threads, SQLite); "
              f"budget {args.budget_ms:.0f} ms")
        figures("online (server decides)", online)
        figures("offline (cache, breaker open)", offline)
        figures("first scan after blackhole", first_after_blackhole)
        app.close()
    finally:
        proxy.close()
        server.stop()


if __name__ == "__main__":
    main()
