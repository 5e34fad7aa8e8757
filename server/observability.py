"""Seeing it run: a request id and one JSON log line per request, request counters and
the scan latency histogram (fed here, after the request, not inside the check-in
service), and ``/readyz``: is this instance able to serve (database, Redis)?

``/healthz`` stays plain liveness. ``/readyz`` answers 503 with the one error envelope
naming what is down, so a load balancer takes the instance out while its database is
unreachable rather than letting it answer every scan with an error.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import orjson
from flask import Flask, Response, g, jsonify, request

from . import metrics
from .errors import AdmitError

log = logging.getLogger("admit.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
SCAN_ENDPOINT = "scans.post_scan"
READY_TIMEOUT_S = 2.0


class NotReady(AdmitError):
    """A dependency this instance needs is down; ``details`` names each check."""

    status = 503
    code = "not_ready"


def request_id_from(given: str) -> str:
    # An id from the proxy (nginx sets one) ties its log line to ours; anything odd is
    # replaced rather than echoed into logs and headers.
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


def _request_id() -> str:
    return request_id_from(request.headers.get("X-Request-ID", ""))


def record(request_id: str, method: str, path: str, endpoint: str, status: int,
           elapsed: float, remote: str | None, size: int | None) -> None:
    """Count a request, time a scan, and write its one JSON log line (the Flask hook
    below, and the scan lane, server/lane.py)."""
    metrics.child(metrics.REQUESTS, endpoint, str(status)).inc()
    if endpoint == SCAN_ENDPOINT and status == 200:
        metrics.SCAN_LATENCY.observe(elapsed)
    if log.isEnabledFor(logging.INFO):
        log.info(orjson.dumps({
            "ts": round(time.time(), 3), "request_id": request_id, "method": method,
            "path": path, "endpoint": endpoint, "status": status,
            "duration_ms": round(elapsed * 1000, 2), "remote": remote, "bytes": size,
        }).decode())


def _start() -> None:
    g.admit_started = time.perf_counter()
    g.admit_request_id = _request_id()


def _finish(response: Response) -> Response:
    started = getattr(g, "admit_started", None)
    elapsed = time.perf_counter() - started if started is not None else 0.0
    request_id = getattr(g, "admit_request_id", None) or _request_id()
    response.headers["X-Request-ID"] = request_id
    record(request_id, request.method, request.path, request.endpoint or "unmatched",
           response.status_code, elapsed, request.remote_addr,
           response.calculate_content_length())
    return response


def _configure_log(app: Flask) -> None:
    if log.handlers:
        return
    # One JSON object per line on stderr (the server's log, a container's log).
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.propagate = False
    log.setLevel(logging.INFO if app.config.get("REQUEST_LOG", True) else logging.WARNING)


def _check(fn: Any) -> str:
    """Run one check with a deadline: a dead link usually hangs rather than refuses."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        fn_result = pool.submit(fn)
        fn_result.result(timeout=READY_TIMEOUT_S)
        return "ok"
    except FutureTimeout:
        return f"down: no answer within {READY_TIMEOUT_S:g} s"
    except Exception as exc:  # any failure means not ready; say which
        return f"down: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
    finally:
        pool.shutdown(wait=False)


def readiness(app: Flask) -> dict[str, str]:
    from sqlalchemy import text

    from .extensions import db

    def database() -> None:
        with app.app_context(), db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    checks = {"database": _check(database)}
    if app.config.get("REDIS_URL"):
        from .jobs.connection import redis_client

        checks["redis"] = _check(lambda: redis_client(app.config["REDIS_URL"], timeout=1.0).ping())
    return checks


def init_app(app: Flask) -> None:
    _configure_log(app)
    app.before_request(_start)
    app.after_request(_finish)
    metrics.init_app(app)

    @app.get("/readyz")
    def readyz() -> Any:
        checks = readiness(app)
        down = [name for name, state in checks.items() if state != "ok"]
        if down:
            raise NotReady(f"not ready: {', '.join(down)} down", details=checks)
        return jsonify({"status": "ready", **checks})
