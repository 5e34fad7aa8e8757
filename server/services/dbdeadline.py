"""A client-side deadline for each PostgreSQL statement on the scan path.

A database that stops answering (a dead link, a hung server) leaves a blocking read
waiting for minutes: the server-side ``statement_timeout`` cannot help when its answer
never arrives. psycopg's wait loop takes a timeout; ``DeadlineConnection`` gives every
wait the bound the caller set (``bounded``), and on expiry closes the connection (its
protocol state is unknown) and raises ``OperationalError``, which SQLAlchemy reads as a
disconnect: the pool drops it and the next request connects afresh, so the server
recovers by itself. Bulk jobs, exports and reports set no bound and are not cut short.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import psycopg
from psycopg import errors

_PER_STATEMENT_S: ContextVar[float | None] = ContextVar("admit_statement_deadline", default=None)
_WAIT_INTERVAL = 0.1  # psycopg's own polling interval


class StatementDeadline(psycopg.OperationalError):
    """The database did not answer within the bound: not worth a retry (it would wait
    as long again), unlike a connection found dead."""


@contextmanager
def bounded(seconds: float) -> Iterator[None]:
    """Each database round trip in this block answers within ``seconds`` or fails."""
    token = _PER_STATEMENT_S.set(seconds)
    try:
        yield
    finally:
        _PER_STATEMENT_S.reset(token)


class DeadlineConnection(psycopg.Connection[Any]):
    def wait(self, gen: Any, interval: float = _WAIT_INTERVAL,
             timeout: float | None = None) -> Any:
        bound = _PER_STATEMENT_S.get()
        if bound is None or timeout is not None:
            return super().wait(gen, interval=interval, timeout=timeout)
        try:
            return super().wait(gen, interval=interval, timeout=bound)
        except errors._WaitTimeout:
            self.pgconn.finish()  # closed: SQLAlchemy sees a disconnect and drops it
            raise StatementDeadline(
                f"the database did not answer within {bound:g} s") from None
