"""Background job records, and the version row the per-process caches check."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .people import utcnow
from .types import UTCDateTime


class JobRecord(db.Model):  # type: ignore[name-defined,misc]
    """One job: what to run (``kind`` in the job registry, ``params``), where it stands
    (``state``: queued, running, done, failed; ``done`` of ``total``) and why it failed.
    A job that fans out (a bulk send) is the parent of the jobs that do the work."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(1000))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Bumped with progress: a running job whose heartbeat is old lost its worker.
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class CacheVersion(db.Model):  # type: ignore[name-defined,misc]
    """A counter per cached area, bumped in the transaction that changes the area, so
    every process of every instance sees a change at its next read (services.hotcache)."""

    __tablename__ = "cache_versions"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
