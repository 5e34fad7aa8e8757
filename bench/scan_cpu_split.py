"""Where the cores go during a scan load: one wrk run against the production server
command, then CPU seconds per scan of the server's processes, PostgreSQL's backends and
wrk, read from /proc before and after (so a lever can be tied to the CPU it saves, and a
run that leaves the cores idle shows it: the "busy" column).

    python bench/scan_cpu_split.py [--db postgres] [--clients 16] [--workers 4]
                                   [--threads 4] [--server granian|gunicorn] [--seconds 8]
                                   [--env SQLITE_GROUP_COMMIT=0 ...]

Linux only (reads /proc). Throughput and latency figures are bench/scan_throughput.py's;
this one is for comparing one setting at a time in the same session.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import scan_throughput  # noqa: E402

from tests.support.live import LiveServer  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
GROUPS = ("server", "postgres", "wrk", "other")


def cpu_by_process() -> dict[int, tuple[str, float]]:
    """CPU seconds (user + system) of every live process, with its kind."""
    seconds: dict[int, tuple[str, float]] = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            stat = (proc / "stat").read_text()
            command = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue  # ended meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        used = (int(fields[11]) + int(fields[12])) / TICKS
        kind = ("server" if "gunicorn" in command or "server.serve" in command
                else "postgres" if command.startswith("postgres")
                else "wrk" if command.startswith("wrk") else "other")
        seconds[int(proc.name)] = (kind, used)
    return seconds


def used_between(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
                 ) -> dict[str, float]:
    """Per kind, what processes alive at the end used since the start (processes that
    ended meanwhile are not counted)."""
    used = dict.fromkeys(GROUPS, 0.0)
    for pid, (kind, seconds) in after.items():
        used[kind] += seconds - before.get(pid, (kind, 0.0))[1]
    return used


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="postgres")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--server", default="granian", choices=sorted(scan_throughput.SERVERS))
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server")
    args = parser.parse_args()
    env = dict(item.split("=", 1) for item in args.env)
    server = LiveServer(args.db, attendees=args.seconds * scan_throughput.PER_SECOND + 10,
                        workers=args.workers, threads=args.threads, env=env,
                        command=scan_throughput.SERVERS[args.server]).start()
    try:
        codes = scan_throughput.codes_of(server)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        before, started = cpu_by_process(), time.monotonic()
        n, elapsed, p50, _p95, p99, errors = scan_throughput.run_wrk(
            server, codes, args.clients, args.seconds)
        after, wall = cpu_by_process(), time.monotonic() - started
        # wrk has ended: its CPU is this process's reaped children's (the server, still
        # running, is not counted there until it stops)
        ended = resource.getrusage(resource.RUSAGE_CHILDREN)
        wrk_seconds = (ended.ru_utime + ended.ru_stime) - (children.ru_utime + children.ru_stime)
    finally:
        server.stop()
    used = used_between(before, after)
    used["wrk"] += wrk_seconds
    per_scan = {k: used[k] / max(n, 1) * 1000 for k in GROUPS}
    busy = sum(used.values())
    cores = os.cpu_count() or 1
    print(f"{args.db} {args.server} {args.workers}x{args.threads} {args.clients} clients "
          f"{' '.join(args.env)}: {n / elapsed:.0f} scans/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
          f"errors {errors}")
    print("CPU ms per scan: " + ", ".join(f"{k} {v:.2f}" for k, v in per_scan.items())
          + f"; cores busy {busy:.1f} s of {cores * wall:.1f} s")


if __name__ == "__main__":
    main()
