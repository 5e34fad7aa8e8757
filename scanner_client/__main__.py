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
from .enrolment import SavedSettings, enrol_from
from .errors import EnrolmentError, ScannerError
from .outcomes import Outcome
from .source import FrameSource, RepeatFilter
from .workers import WorkerManager


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m scanner_client", description=__doc__)
    p.add_argument("--server", help="server URL, e.g. http://127.0.0.1:8000 (default: enrolled)")
    p.add_argument("--token", default=os.environ.get("ADMIT_GATE_TOKEN"),
                   help="device bearer token (or ADMIT_GATE_TOKEN; default: enrolled)")
    p.add_argument("--gate", help="gate name or id (default: the enrolment code's gate)")
    p.add_argument("--enrol-from", metavar="SOURCE",
                   help="read the dashboard's enrolment QR code from a camera index, image "
                        "file or folder, store server/token/gate in the data dir, and exit")
    p.add_argument("--enrol-timeout-s", type=float, default=120.0,
                   help="how long --enrol-from looks for the code")
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
    return p.parse_args(argv)


def fail(exc: ScannerError) -> int:
    print(json.dumps({"error": exc.title, "message": exc.message}), file=sys.stderr)
    return 2


def resolve_settings(args: argparse.Namespace) -> Settings:
    """Command-line flags over the enrolled settings; raise if something is still missing.
    A gate window without a token first enrols from the camera."""
    saved = SavedSettings(args.data_dir).load()
    if not (args.token or saved) and not args.headless:
        from .screen import run_enrolment_window

        saved = run_enrolment_window(args.source, args.data_dir)
    server = args.server or (saved.server if saved else None)
    token = args.token or (saved.token if saved else None)
    gate = args.gate or (saved.gate if saved else None)
    missing = [flag for flag, value in (("--server", server), ("--token", token), ("--gate", gate))
               if not value]
    if missing:
        raise EnrolmentError("Not enrolled", f"pass {', '.join(missing)} or enrol first with "
                             "--enrol-from (the QR code on the dashboard's devices page)")
    assert server and token and gate
    return Settings(server=server, token=token, gate=gate, data_dir=args.data_dir,
                    budget_ms=args.budget_ms, staff_token=args.staff_token,
                    durable=not args.fast_disk)


def run_headless(app: GateApp, workers: WorkerManager, source: FrameSource, repeat: RepeatFilter,
                 flush_s: float) -> int:
    def emit(outcome: Outcome) -> None:
        # One line per verdict, flushed at once: a turnstile reads it as it happens.
        sys.stdout.write(json.dumps(outcome.as_json(), ensure_ascii=False) + "\n")
        sys.stdout.flush()

    uploaded_before = app.store.counter("uploaded")
    workers.scan_until_done(source, repeat, emit)
    if source.error is not None:
        print(json.dumps({"error": source.error.title, "message": source.error.message}),
              file=sys.stderr)
    app.flush(flush_s)
    state = app.state()
    # Everything this run uploaded, by the sync worker during the run or the final flush.
    print(json.dumps({"event": "end", "uploaded": app.store.counter("uploaded") - uploaded_before,
                      "queued": state.queued, "set_aside": state.set_aside, "mode": state.mode}),
          file=sys.stderr)
    return 1 if source.error is not None else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.headless else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stderr)
    if args.enrol_from is not None:
        try:
            found = enrol_from(args.enrol_from, args.data_dir, args.enrol_timeout_s)
        except ScannerError as exc:
            return fail(exc)
        print(json.dumps({"event": "enrolled", "server": found.server, "gate": found.gate}))
        return 0
    try:
        settings = resolve_settings(args)
    except ScannerError as exc:
        return fail(exc)
    app = GateApp(settings)
    try:
        app.start()
        source = FrameSource(args.source)
    except ScannerError as exc:
        app.close()
        return fail(exc)
    workers = WorkerManager(app).start()
    source.start()
    try:
        if args.headless:
            return run_headless(app, workers, source, RepeatFilter(args.repeat_s), args.flush_s)
        from .screen import run_window

        return run_window(app, workers, source, RepeatFilter(args.repeat_s))
    finally:
        source.stop()
        workers.stop()
        app.close()


if __name__ == "__main__":
    sys.exit(main())
