"""Instructions per scan in the server process, counted by valgrind (callgrind): a figure
a noisy machine does not move, for comparing one scan-path change at a time.

    python bench/scan_instructions.py [--db postgres] [--scans 100] [--path lane|full]
                                      [--tree DIR]

Timings on a shared 2-core VM wander by 20-30% between identical runs (the host's other
tenants); the instruction count of the same code wanders by well under 1%. The app runs
in this process on a real database (as bench/scan_cost.py), each scan a WSGI call with a
ready-made environ (no HTTP server, no test client); callgrind counts only while the
scans run (instrumentation is switched on around the loop), so setup does not count.
PostgreSQL's own work is not in the figure (bench/scan_cpu_split.py measures it).
``--tree`` runs another checkout of the repository (e.g. a ``git worktree`` of the
previous commit) for a same-session before/after. Instructions are not time: Ed25519's
field arithmetic runs at a much higher rate per cycle than the interpreter loop.

Needs valgrind (``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GATE = "Prelude Hall Entrance"


def child(tree: str, db_kind: str, scans: int, lane: bool, sync: str) -> None:
    """Inside valgrind: set up, signal ready, run the scans, signal done."""
    sys.path.insert(0, tree)
    import logging

    from tests.support.inproc import AppServer

    server = AppServer(db_kind, Path(tempfile.mkdtemp(prefix="admit-instr-")),
                       attendees=scans + 60).start()
    try:
        app = server.app
        app.config["SCAN_LANE"] = lane
        with app.app_context():
            from server.extensions import db
            from server.models import Badge

            codes = [c for (c,) in db.session.query(Badge.code).order_by(Badge.id)]
            db.session.remove()
        logging.getLogger("admit.request").disabled = True
        token = server.tokens["gate"]

        def environ(code: str) -> dict[str, object]:
            body = (f'{{"scan_id":"{uuid.uuid4()}","code":"{code}","gate":"{GATE}"}}').encode()
            return {"REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/scans", "QUERY_STRING": "",
                    "SERVER_NAME": "admit.test", "SERVER_PORT": "80", "HTTP_HOST": "admit.test",
                    "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
                    "HTTP_AUTHORIZATION": f"Bearer {token}", "wsgi.input": io.BytesIO(body),
                    "wsgi.url_scheme": "http", "REMOTE_ADDR": "127.0.0.1",
                    "wsgi.errors": sys.stderr, "wsgi.multithread": True,
                    "wsgi.multiprocess": True, "wsgi.run_once": False,
                    "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.version": (1, 0)}

        statuses: set[str] = set()

        def start_response(status: str, _headers: object, _exc: object = None) -> None:
            statuses.add(status)

        for code in codes[:30]:  # warm: caches, prepared statements, pool
            b"".join(app.wsgi_app(environ(code), start_response))
        batch = [environ(code) for code in codes[30:30 + scans]]
        Path(sync + ".ready").touch()
        wait_for(sync + ".go")
        for env in batch:
            b"".join(app.wsgi_app(env, start_response))
        Path(sync + ".done").touch()
        wait_for(sync + ".end")
        print("statuses", sorted(statuses), flush=True)
    finally:
        server.stop()


def wait_for(path: str, limit_s: float = 600) -> None:
    deadline = time.monotonic() + limit_s
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {path}")
        time.sleep(0.05)


def measure(tree: str, db_kind: str, scans: int, lane: bool) -> int:
    work = Path(tempfile.mkdtemp(prefix="admit-callgrind-"))
    sync, out = str(work / "sync"), str(work / "callgrind.out")
    proc = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
         sys.executable, __file__, "--child", "--tree", tree, "--db", db_kind,
         "--scans", str(scans), "--path", "lane" if lane else "full", "--sync", sync],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(sync + ".ready")
        subprocess.run(["callgrind_control", "-i", "on", str(proc.pid)], check=True,
                       capture_output=True)
        Path(sync + ".go").touch()
        wait_for(sync + ".done")
        subprocess.run(["callgrind_control", "-i", "off", str(proc.pid)], check=True,
                       capture_output=True)
        Path(sync + ".end").touch()
        log, _ = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    found = re.search(r"Collected : (\d+)", log)
    if proc.returncode != 0 or found is None or "200 OK" not in log:
        raise SystemExit(f"run failed:\n{log[-3000:]}")
    shutil.rmtree(work, ignore_errors=True)
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="postgres")
    parser.add_argument("--scans", type=int, default=100)
    parser.add_argument("--path", choices=("lane", "full"), default="lane")
    parser.add_argument("--tree", default=str(ROOT), help="the checkout to measure")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sync", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.tree, args.db, args.scans, args.path == "lane", args.sync)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    total = measure(args.tree, args.db, args.scans, args.path == "lane")
    print(f"{args.db} {args.path} {args.tree}: {total / args.scans:,.0f} instructions per scan "
          f"({args.scans} distinct scans, server process only)")


if __name__ == "__main__":
    main()
