"""The scan lane: an online scan answered without Flask or the ORM session.

Every gate sends every scan here, and the full request path (Flask's dispatch and hooks,
the session's transaction machinery) cost about three times the check-in itself
(bench/scan_cpu_split.py). The lane is a WSGI middleware that takes the common case,
a gate's bearer token with a well-formed online scan and nothing else, and runs the
same check-in engine (``checkin.decide_online``: facts, ``decide()`` from shared/, one
write) on a connection of the same engine. It answers with the same body, headers,
metrics and log line as the full path.

No lock is held while Python decides: the facts are read without one, and the write
stores an admit only if presence (and, entering a zone with a capacity, the count) is
still what the decision saw, under the badge's row lock on PostgreSQL (in autocommit:
two round trips, no BEGIN or COMMIT of its own) or SQLite's writer lock. A write that
finds otherwise stores nothing, and the scan goes to the locking path
(services.entry.hotsql, checkin_facts).

Anything else is handed to Flask untouched, before anything was written: a session
cookie, a query string, a body that does not validate, a typed badge number, an
offline or LAN scan, an unknown or revoked token, a gate or key this process has not
loaded yet, a repeated scan_id (the full path answers with the stored scan), a lost
race, SQLite busy. A PostgreSQL that fails or stops answering is answered 503 here,
as the full path would, without trying twice. ``SCAN_LANE=0`` turns the lane off.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import psycopg
from flask import Flask
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from shared.schemas import ScanIn

from . import metrics, observability, presenters, security
from .errors import AdmitError, envelope
from .extensions import db
from .models import utcnow
from .services.accounts import devices
from .services.db import SCAN_STATEMENT_S, lane_engine, note_disconnect
from .services.dbdeadline import StatementDeadline, bounded
from .services.entry import checkin, hotcache, hotsql, privacy
from .services.issuing import keycache

log = logging.getLogger(__name__)
PATH = "/api/v1/scans"
MAX_TOKENS = 10_000  # devices remembered per process (a trade fair has hundreds)
_UNSEEN = object()
MAX_BODY = 16 * 1024  # a scan is a few hundred bytes; anything bigger takes the full path
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class _Retry(Exception):
    """The lane's kept connection was dead: the scan is tried once on a fresh one."""


class _Handover(Exception):
    """Not the lane's case: the full path answers (nothing was written). ``why`` labels
    the ``admit_scan_path`` metric."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class ScanLane:
    def __init__(self, app: Flask, inner: WSGIApp) -> None:
        self.app = app
        self.inner = inner
        self._policy: str | None = None
        self._postgres = str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql")
        # Each token's event selector, as last authenticated: a guess that lets the
        # token's row and the scan's facts come in one statement; checked against that
        # row before anything is decided.
        self._events: dict[str, int | None] = {}

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.inner(environ, start_response)
        started = time.perf_counter()
        body = None
        try:
            body = self._take(environ)
            status, answer = self._scan(environ, body)
        except Exception as exc:
            if not isinstance(exc, _Handover):  # a fault of the lane's own: say so, go on
                log.exception("scan lane failed; the full path answers")
            metrics.child(metrics.SCAN_PATH, "full", getattr(exc, "why", "fault")).inc()
            if body is not None:
                environ["wsgi.input"] = io.BytesIO(body)  # the full path reads it again
            return self.inner(environ, start_response)
        metrics.child(metrics.SCAN_PATH, "lane", "").inc()
        request_id = observability.request_id_from(environ.get("HTTP_X_REQUEST_ID", ""))
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(answer))),
                   ("X-Request-ID", request_id),
                   ("Vary", "Accept-Encoding"),  # as server/compression.py says of every answer
                   *security.standard_headers(self._csp(),
                                              environ.get("wsgi.url_scheme") == "https")]
        start_response(status, headers)
        observability.record(request_id, "POST", PATH, observability.SCAN_ENDPOINT,
                             int(status[:3]), time.perf_counter() - started,
                             environ.get("REMOTE_ADDR"), len(answer))
        return [answer]

    def _take(self, environ: dict[str, Any]) -> bytes:
        """The body of a request the lane may take; else the request is untouched."""
        if (environ.get("QUERY_STRING") or "HTTP_COOKIE" in environ
                or "HTTP_TRANSFER_ENCODING" in environ
                or not environ.get("HTTP_AUTHORIZATION", "").startswith("Bearer ")
                or not environ.get("CONTENT_TYPE", "").startswith("application/json")):
            raise _Handover("request")
        if not self.app.config["SCAN_LANE"]:
            raise _Handover("off")
        length = environ.get("CONTENT_LENGTH", "")
        if not length.isdigit() or int(length) > MAX_BODY:
            raise _Handover("request")
        body: bytes = environ["wsgi.input"].read(int(length))
        return body

    def _csp(self) -> str:
        if self._policy is None:
            self._policy = security.policy_for(self.app.view_functions.get("scans.post_scan"))
        return self._policy

    def _scan(self, environ: dict[str, Any], body: bytes) -> tuple[str, bytes]:
        try:
            scan_in = ScanIn.model_validate_json(body)
        except ValidationError:
            raise _Handover("body") from None  # the full path answers 422 with the details
        if (scan_in.offline_verdict is not None or scan_in.mode is not None
                or scan_in.lan_seq is not None or privacy.looks_typed(scan_in.code)):
            raise _Handover("kind")  # typed numbers are rate-limited and audited there
        token = environ["HTTP_AUTHORIZATION"][len("Bearer "):].strip()
        with self.app.app_context():
            try:
                out = self._decide(token, scan_in)
            except (OperationalError, PoolTimeout, psycopg.OperationalError) as exc:
                if not self._postgres:  # SQLite's "locked": the full path waits and retries
                    raise _Handover("busy") from exc
                log.warning("database unavailable: %s", type(exc).__name__)
                return "503 SERVICE UNAVAILABLE", _json(envelope(
                    "database_unavailable", "the database is not answering, try again"))
        metrics.count_scan(out.verdict, out.reason)
        return "200 OK", out.model_dump_json().encode()

    def _decide(self, token: str, scan_in: ScanIn) -> Any:
        # Every round trip is bounded, the pool's checkout ping and its rollback on
        # return included: a database that stops answering holds no thread for longer.
        if not self._postgres:
            with db.engine.connect() as conn, hotsql.lane_sqlite(conn):
                return presenters.scan_out(self._decide_on(token, scan_in))
        with bounded(SCAN_STATEMENT_S):
            try:
                result = self._decide_pooled(token, scan_in, may_retry=True)
            except _Retry:
                result = self._decide_pooled(token, scan_in, may_retry=False)
        return presenters.scan_out(result)

    def _decide_pooled(self, token: str, scan_in: ScanIn,
                       may_retry: bool) -> checkin.ScanResult:
        # autocommit: each statement commits itself (hotsql's lane)
        pooled = lane_engine(self.app).raw_connection()
        reused = "admit_idle_since" in pooled.info  # not opened for this scan
        try:
            with hotsql.lane(pooled):
                return self._decide_on(token, scan_in)
        except (OperationalError, psycopg.OperationalError) as exc:
            # Whatever state libpq left it in, this connection is not trusted again, nor
            # (until pinged) any other this process holds: the database, or the link to
            # it, failed under us.
            pooled.invalidate(exc)
            note_disconnect()
            if (may_retry and reused
                    and not isinstance(getattr(exc, "orig", exc), StatementDeadline)):
                # A kept connection found dead (the database restarted, a failover):
                # once more on a fresh one. Safe even after the write: the scan_id
                # makes a second recording of the same scan the first one's answer.
                raise _Retry from exc
            raise
        finally:
            pooled.close()

    def _decide_on(self, token: str, scan_in: ScanIn) -> checkin.ScanResult:
        """Token, facts, write: on PostgreSQL three round trips; two once this process
        has seen the token (its event is known, so the scan's facts come with the
        token's row). SQLite reads them apart (no round trips to save)."""
        now = utcnow()
        guess = self._events.get(token, _UNSEEN)
        found = (hotcache.cached(guess, scan_in.gate)
                 if guess is not _UNSEEN and self._postgres else None)
        key = verified = None
        if found is not None:
            ring = keycache.cached(found[1])
            keyed = checkin.facts_key(found[1], found[2], scan_in, ring, now) if ring else None
            key, verified = keyed if keyed is not None else (None, None)
        try:
            device = (devices.authenticate_with_facts(token, key) if key is not None
                      else devices.authenticate(token))
        except AdmitError:
            raise _Handover("token") from None
        if device.role != "gate":
            raise _Handover("role")  # an admin token's event comes from elsewhere
        if len(self._events) > MAX_TOKENS:
            self._events.clear()
        self._events[token] = device.event_id
        if key is None or device.event_id != guess:
            found, verified = hotcache.cached(device.event_id, scan_in.gate), None
        ring = keycache.cached(found[1]) if found is not None else None
        if found is None or ring is None or found[0] != device.setup_version:
            raise _Handover("not_loaded")  # the full path loads them (or the newer setup)
        _version, event, gate = found
        entering = (scan_in.direction or gate.direction) == "in"
        hotsql.lane_capacity(gate.zone.capacity if entering else None)
        try:
            return checkin.decide_online(event, checkin.Caller.of(device), gate, scan_in,
                                         ring, now, verified)
        except (AdmitError, IntegrityError):
            raise _Handover("repeat_or_refused") from None
        except hotsql.LostRace:
            # Another gate moved this person (or filled the zone) since the facts were
            # read: nothing was written; the locking path decides again.
            raise _Handover("race") from None


def _json(body: dict[str, Any]) -> bytes:
    import json

    return json.dumps(body).encode()


def install(app: Flask) -> None:
    """Put the lane in front of Flask (inside ProxyFix, which security.init_app adds
    around whatever is there: the lane sees the client's real address and scheme)."""
    app.wsgi_app = ScanLane(app, app.wsgi_app)  # type: ignore[method-assign]
