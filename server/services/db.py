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
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ..errors import ServiceBusy
from ..extensions import db

T = TypeVar("T")
P = ParamSpec("P")
_ACTIVE = "admit.in_transaction"  # session.info key: a service transaction is open
_ATTEMPTS = 8
_SQLITE_WRITER = threading.RLock()
_LOCK_FILES: dict[str, int] = {}


def configure_engine(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    _install_sqlite_hooks(engine)


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy so BEGIN IMMEDIATE is ours to emit.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


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
    # when several gunicorn workers write at once.
    with _SQLITE_WRITER, _file_lock(engine.url.database):
        return _attempt(session, call, fresh=True)


@contextmanager
def _file_lock(database: str | None) -> Iterator[None]:
    if not database or database == ":memory:":
        yield
        return
    fd = _LOCK_FILES.get(database)
    if fd is None:
        fd = os.open(f"{database}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
        _LOCK_FILES[database] = fd
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _attempt(session: Session, call: Callable[[], T], fresh: bool) -> T:
    for attempt in range(_ATTEMPTS):
        # SQLite must begin anew to take its write lock up front; end the request's read
        # transaction with a commit, which (unlike a rollback) keeps loaded objects
        # usable, then expire them so what the service reads is read under the lock.
        # PostgreSQL carries on in the same transaction: row locks suffice.
        if fresh and session.in_transaction():
            session.commit()
            session.expire_all()
        try:
            if fresh:  # PostgreSQL's transaction already has its connection
                session.connection(execution_options={"sqlite_immediate": True})
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
