"""``python -m scanner_client``: the gate program (window by default, ``--headless`` for
turnstiles, tests and demos: one JSON line per verdict on stdout)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from .app import GateApp, Settings
from .errors import ScannerError
from .source import FrameSource, RepeatFilter
from .verdicts import GateVerdict
from .workers import WorkerManager, scan_loop


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m scanner_client", description=__doc__)
    p.add_argument("--server", required=True, help="server URL, e.g. http://127.0.0.1:8000")
    p.add_argument("--token", default=os.environ.get("ADMIT_GATE_TOKEN"),
                   help="device bearer token (or ADMIT_GATE_TOKEN)")
    p.add_argument("--gate", required=True, help="gate name or id")
    p.add_argument("--source", default="0",
                   help="camera index, video file, image folder or codes:FILE")
    p.add_argument("--data-dir", type=Path, default=Path.home() / ".admit-gate")
    p.add_argument("--headless", action="store_true")
    p.add_argument("--budget-ms", type=float, default=300.0)
    p.add_argument("--repeat-s", type=float, default=3.0,
                   help="a code still in view is not resubmitted within this window")
    p.add_argument("--flush-s", type=float, default=10.0,
                   help="at the end of recorded input, time allowed to upload the outbox")
    p.add_argument("--staff-token", default=os.environ.get("ADMIT_STAFF_TOKEN"),
                   help="security-role token enabling name search in the window")
    p.add_argument("--fast-disk", action="store_true",
                   help="WAL synchronous=NORMAL: survives kill -9 but not a power cut")
    args = p.parse_args(argv)
    if not args.token:
        p.error("--token (or ADMIT_GATE_TOKEN) is required")
    return args


def run_headless(app: GateApp, source: FrameSource, repeat: RepeatFilter, flush_s: float) -> int:
    def emit(verdict: GateVerdict) -> None:
        # One line per verdict, flushed at once: a turnstile reads it as it happens.
        sys.stdout.write(json.dumps(verdict.as_json(), ensure_ascii=False) + "\n")
        sys.stdout.flush()

    scan_loop(app, source, repeat, emit)
    if source.error is not None:
        print(json.dumps({"error": source.error.title, "message": source.error.message}),
              file=sys.stderr)
    uploaded = app.flush(flush_s)
    state = app.state()
    print(json.dumps({"event": "end", "uploaded": uploaded, "queued": state.queued,
                      "mode": state.mode}), file=sys.stderr)
    return 1 if source.error is not None else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.headless else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stderr)
    settings = Settings(server=args.server, token=args.token, gate=args.gate,
                        data_dir=args.data_dir, budget_ms=args.budget_ms,
                        staff_token=args.staff_token, durable=not args.fast_disk)
    app = GateApp(settings)
    try:
        app.start()
        source = FrameSource(args.source)
    except ScannerError as exc:
        print(json.dumps({"error": exc.title, "message": exc.message}), file=sys.stderr)
        return 2
    workers = WorkerManager(app).start()
    source.start()
    try:
        if args.headless:
            return run_headless(app, source, RepeatFilter(args.repeat_s), args.flush_s)
        from .screen import run_window

        return run_window(app, source, RepeatFilter(args.repeat_s))
    finally:
        source.stop()
        workers.stop()
        app.close()


if __name__ == "__main__":
    sys.exit(main())
