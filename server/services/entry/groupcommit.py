"""SQLite group commit: scans that arrive together in one process share one transaction,
so they share one fsync.

SQLite with ``synchronous=FULL`` syncs the disk at every commit (a scan answered is a
scan stored), and it has one writer at a time: scans one by one are capped by the disk,
a few hundred commits a second, however many threads wait. Here the first waiting
thread takes every scan queued in its process, decides them one after the other in one
transaction (each in its own savepoint, so a repeated scan_id fails alone), commits
once, and hands each thread its own answer or error. Nobody is answered before that
commit. Each scan still sees everything decided before it, in the same transaction: two
scans of one badge in the same batch admit it once, as one after the other would.

A thread only ever runs a batch that holds its own scan (it takes the lock while its
scan is still queued), so no request is kept waiting to serve others.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from ...errors import ServiceBusy
from ...extensions import db
from ..db import WRITER_WAIT_S, transactional

T = TypeVar("T")


@dataclass
class _Item(Generic[T]):
    work: Callable[[], T]
    result: T | None = None
    error: BaseException | None = None
    done: bool = False
    batch: int = field(default=0)  # how many scans shared its commit (for tests, metrics)


_queue_lock = threading.Lock()
_queue: list[_Item[object]] = []
_runner = threading.Lock()  # held by the thread running a batch


def run(work: Callable[[], T]) -> tuple[T, int]:
    """``work()`` (a @transactional scan) in a transaction shared with the scans queued
    beside it; its result and the number of scans that shared the commit."""
    session = db.session()
    if session.in_transaction():
        # This request's read transaction (the token lookup) ends here: a snapshot from
        # before the batch's commit must not be what this thread reads afterwards.
        session.commit()
    item: _Item[T] = _Item(work)
    with _queue_lock:
        _queue.append(item)  # type: ignore[arg-type]
    if not _runner.acquire(timeout=WRITER_WAIT_S):
        with _queue_lock:
            if item in _queue:  # type: ignore[comparison-overlap]
                _queue.remove(item)  # type: ignore[arg-type]
                raise ServiceBusy("the database is busy, try again")
        _runner.acquire()  # taken into a batch meanwhile: it ends soon
    try:
        if not item.done:
            with _queue_lock:
                batch, _queue[:] = list(_queue), []
            _run_batch(batch)
    finally:
        _runner.release()
    if item.error is not None:
        raise item.error
    return item.result, item.batch  # type: ignore[return-value]


def _run_batch(batch: list[_Item[object]]) -> None:
    try:
        _decide_all(batch)
    except BaseException as exc:  # the commit (or the lock) failed: nobody's scan stands
        for item in batch:
            if item.error is None:
                item.error = exc
    finally:
        for item in batch:
            item.batch = len(batch)
            item.done = True


@transactional
def _decide_all(batch: list[_Item[object]]) -> None:
    for item in batch:
        item.result, item.error = None, None  # the whole batch may be retried (locked)
        try:
            with db.session.begin_nested():
                item.result = item.work()
        except Exception as exc:  # this scan's own failure (a repeated scan_id): its alone
            item.error = exc
