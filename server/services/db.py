"""A service call is a transaction: ``@transactional`` on the service functions, never
a transaction opened by a route, a view or a CLI command. SQLite takes its write lock up
front, and a locked database is retried, never a 500.

SQLite's default deferred transaction takes the write lock at the first write; two
scans that both read presence first then deadlock into "database is locked". Beginning
with ``BEGIN IMMEDIATE`` serialises writers at the start instead. PostgreSQL uses row
locks (``SELECT ... FOR UPDATE``) in the services themselves.
"""

from __future__ import annotations

import fcntl
import functools
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from flask import Flask
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session

from ..errors import ServiceBusy
from ..extensions import db

T = TypeVar("T")
P = ParamSpec("P")
_ACTIVE = "admit.in_transaction"  # session.info key: a service transaction is open
_ATTEMPTS = 8
# How long a write waits for SQLite's writer (other threads, other workers, another
# process holding the database) before it is answered 503 ``busy``: a gate that waits
# longer has long since decided offline.
WRITER_WAIT_S = 2.0
_SQLITE_WRITER = threading.RLock()
_LOCK_FILES: dict[str, int] = {}


# PostgreSQL: how long to wait for a connection (a new one, or one from the pool) and,
# on the scan path, for each statement (services.dbdeadline), before answering 503.
PG_CONNECT_TIMEOUT_S = 2
PG_POOL_TIMEOUT_S = 3.0
SCAN_STATEMENT_S = 2.0


def prepare_engine_options(app: Flask) -> None:
    """Before the engine exists: a PostgreSQL that does not answer must not hang a
    connect (libpq's default waits as long as TCP does) or a wait for the pool."""
    if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = {"connect_timeout": PG_CONNECT_TIMEOUT_S, **options.get("connect_args", {})}
    # One pooled connection per request thread (the server's ADMIT_THREADS), kept open: with
    # SQLAlchemy's default of 5, eight threads under load open and close overflow
    # connections all the time (a new PostgreSQL backend each, several ms of CPU).
    threads = int(os.environ.get("ADMIT_THREADS", "4"))
    options.setdefault("pool_size", max(5, threads + 1))
    options.update(connect_args=connect_args, pool_timeout=PG_POOL_TIMEOUT_S)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def configure_engine(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql":
        # Every checkout pinged: a process cannot know that another one saw the database
        # go away, and this pool's requests have no retry (the lane's pool has, below).
        _install_pg_hooks(engine, ping_idle_s=0)
    if engine.dialect.name != "sqlite":
        return
    _install_sqlite_hooks(engine)


_LANE_ENGINES: dict[tuple[int, str], Engine] = {}
_LANE_ENGINES_LOCK = threading.Lock()


def lane_engine(app: Flask) -> Engine:
    """PostgreSQL: the scan lane's own pool, in autocommit from the connect on. On the
    ORM's pool the lane switched each connection to autocommit and back, and the pool
    rolled it back on return: three waits on the driver per scan beside its two
    statements. One connection per request thread kept, overflow as the ORM's pool
    (a server started with more threads than ADMIT_THREADS says must not queue its
    scans here), made in this process (a pool must not cross a fork)."""
    key = (os.getpid(), str(app.config["SQLALCHEMY_DATABASE_URI"]))
    engine = _LANE_ENGINES.get(key)
    if engine is not None:
        return engine
    with _LANE_ENGINES_LOCK:
        engine = _LANE_ENGINES.get(key)
        if engine is None:
            options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
            engine = create_engine(
                key[1], isolation_level="AUTOCOMMIT", pool_reset_on_return=None,
                pool_size=int(os.environ.get("ADMIT_THREADS", "4")), max_overflow=10,
                pool_timeout=PG_POOL_TIMEOUT_S,
                connect_args=options.get("connect_args", {"connect_timeout": PG_CONNECT_TIMEOUT_S}))
            _install_pg_hooks(engine, ping_idle_s=PING_IDLE_S)
            _LANE_ENGINES[key] = engine
    return engine


# The lane's pooled connection idle longer than this is pinged before use. pool_pre_ping
# pings every checkout: one round trip of a scan's two. A connection in steady use has
# just answered; one idle for a while may have been cut (database restarted, link
# dropped); one found dead all the same costs the scan a retry (server/lane.py).
PING_IDLE_S = 1.0
# When this process last saw the database drop a connection (monotonic), on either
# pool. SQLAlchemy, after a disconnect, recycles the rest of that one pool; the lane
# has its own pool, so a database that went away and came back within PING_IDLE_S left
# the other pool's dead connections to fail the next request. Every connection
# returned before this moment is pinged on its next checkout.
_LAST_DISCONNECT = [0.0]


def note_disconnect() -> None:
    """The database dropped (or stopped answering on) a connection of this process."""
    _LAST_DISCONNECT[0] = time.monotonic()


def _install_pg_hooks(engine: Engine, ping_idle_s: float) -> None:
    """``ping_idle_s``: a pooled connection idle at least this long (or returned before
    a disconnect this process saw) is pinged at checkout; 0 pings every checkout."""
    from .dbdeadline import DeadlineConnection

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        return DeadlineConnection.connect(*cargs, **cparams)

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["admit_idle_since"] = time.monotonic()

    @event.listens_for(engine, "handle_error")
    def _error(context: Any) -> None:
        if context.is_disconnect:
            note_disconnect()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("admit_idle_since")
        if idle_since is None or (time.monotonic() - idle_since < ping_idle_s
                                  and idle_since > _LAST_DISCONNECT[0]):
            return
        try:
            _ping(dbapi_conn)
        except Exception as exc:  # noqa: BLE001 - any failure means: not usable
            # The pool drops this connection and checks out (or opens) another.
            raise DisconnectionError(f"pooled connection dead: {exc}") from exc


def _ping(dbapi_conn: Any) -> None:
    """One round trip that starts no transaction: an empty query, on libpq itself
    (through psycopg's wait, so a statement deadline in force bounds it too)."""
    from psycopg import generators, pq

    pgconn = dbapi_conn.pgconn
    pgconn.send_query(b"")
    result = dbapi_conn.wait(generators.execute(pgconn))[-1]
    if result.status not in (pq.ExecStatus.EMPTY_QUERY, pq.ExecStatus.COMMAND_OK):
        raise DisconnectionError(f"ping answered {result.status.name}")


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy so BEGIN IMMEDIATE is ours to emit.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before the answer leaves (NORMAL in WAL mode may lose
        # the last commits on power loss): a scan answered is a scan stored.
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={int(WRITER_WAIT_S * 1000)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Straight on the driver: through SQLAlchemy, a PRAGMA whose text changes every
        # call (the milliseconds left) built new result metadata each time, 0.2 ms of a
        # scan's ~1 ms on the lane.
        options = conn.get_execution_options()
        driver = conn.connection.driver_connection
        busy_ms = options.get("sqlite_busy_ms")
        begin = "BEGIN IMMEDIATE" if options.get("sqlite_immediate") else "BEGIN"
        try:
            if busy_ms is not None:  # what is left of this call's wait (see _outermost)
                driver.execute(f"PRAGMA busy_timeout={int(busy_ms)}").close()
            driver.execute(begin).close()
        except sqlite3.Error as exc:
            # As SQLAlchemy's own execution would raise it: "database is locked" must be
            # an OperationalError for the retry and the 503 "busy" (never a 500).
            raise DBAPIError.instance(begin, (), exc, sqlite3.Error,
                                      dialect=conn.dialect) from exc


def _is_lock_error(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text or "deadlock" in text


def transactional(fn: Callable[P, T]) -> Callable[P, T]:
    """Make a service function one write transaction, committed when it returns.

    Re-entrant: a service called from inside another joins the outer transaction, so
    only the outermost call commits (and retries). While the database is locked the
    whole call is retried, then refused with ``ServiceBusy`` (503), never a 500."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        session = db.session()  # the request's Session itself, not the scoped proxy
        if session.info.get(_ACTIVE):
            return fn(*args, **kwargs)
        session.info[_ACTIVE] = True
        try:
            return _outermost(session, functools.partial(fn, *args, **kwargs))
        finally:
            session.info.pop(_ACTIVE, None)

    return run


def _outermost(session: Session, call: Callable[[], T]) -> T:
    engine = session.get_bind().engine
    if engine.dialect.name != "sqlite":
        return _attempt(session, call, fresh=False)
    # Writers queue on a thread lock and a file lock (kernel wake-up, in order) instead
    # of in SQLite's busy handler, whose sleeps (1, 2, 5, 10... ms) dominate latency
    # when several server workers write at once.
    # Every wait has one deadline (thread lock, file lock, SQLite's own busy handler):
    # past it the call is refused with ServiceBusy, never left hanging.
    with sqlite_writer(engine.url.database) as deadline:
        return _attempt(session, call, fresh=True, deadline=deadline)


@contextmanager
def sqlite_writer(database: str | None) -> Iterator[float]:
    """SQLite's writer, for this thread among this process's threads and every worker
    process, for the block; yields the deadline every wait in it shares. Past
    ``WRITER_WAIT_S`` the call is refused with ServiceBusy."""
    deadline = time.monotonic() + WRITER_WAIT_S
    if not _SQLITE_WRITER.acquire(timeout=WRITER_WAIT_S):
        raise ServiceBusy("the database is busy, try again")
    try:
        with _file_lock(database, deadline):
            yield deadline
    finally:
        _SQLITE_WRITER.release()


@contextmanager
def _file_lock(database: str | None, deadline: float) -> Iterator[None]:
    """The writer lock the server's workers share. ``flock`` has no timeout, so it is
    tried without blocking, with short growing pauses, until the deadline."""
    if not database or database == ":memory:":
        yield
        return
    fd = _LOCK_FILES.get(database)
    if fd is None:
        fd = os.open(f"{database}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
        _LOCK_FILES[database] = fd
    pause = 0.0001
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise ServiceBusy("the database is busy, try again") from None
            time.sleep(pause)  # polling a lock with no timeout, not synchronisation
            pause = min(pause * 2, 0.001)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _attempt(session: Session, call: Callable[[], T], fresh: bool,
             deadline: float | None = None) -> T:
    for attempt in range(_ATTEMPTS):
        # SQLite must begin anew to take its write lock up front; end the request's read
        # transaction with a commit, which (unlike a rollback) keeps loaded objects
        # usable, then expire them so what the service reads is read under the lock.
        # PostgreSQL carries on in the same transaction: row locks suffice.
        if fresh and session.in_transaction():
            session.commit()
            session.expire_all()
        options: dict[str, Any] = {"sqlite_immediate": True}
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            options["sqlite_busy_ms"] = max(1, int(left * 1000))
        try:
            if fresh:  # PostgreSQL's transaction already has its connection
                session.connection(execution_options=options)
            result = call()
            session.commit()
            return result
        except OperationalError as exc:
            session.rollback()
            if not _is_lock_error(exc):
                raise
            time.sleep(min(0.5, 0.01 * 2**attempt) * random.uniform(0.5, 1.5))
        except BaseException:
            session.rollback()
            raise
    raise ServiceBusy("the database is busy, try again")
