"""The scan path's statements on PostgreSQL, run on the driver's own cursor.

Every scan runs these (facts under lock, then log and presence in one write). Through
SQLAlchemy each execution costs about as much server CPU again as the driver's own work
(result metadata, type processors, the transaction state machine), for statements that
never change; so they are fixed SQL text, sent by psycopg inside the session's
transaction (same connection, same BEGIN and COMMIT). SQLite runs the same steps through
SQLAlchemy Core (checkin_facts): it has no round trips to save and needs the ORM's
date handling. psycopg prepares each statement on the server after a few runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy.exc import DBAPIError

from ...extensions import db

SCAN_COLUMNS = ("scan_id", "event_id", "device_id", "gate_id", "zone_id", "direction", "code",
                "badge_id", "badge_revision", "attendee_id", "verdict", "reason",
                "server_reason", "mode", "lan_seq", "scanned_at", "device_time", "received_at",
                "conflict", "note")
PRESENCE_COLUMNS = ("attendee_id", "zone_id", "inside", "day", "since", "gate_id")
FACTS = "SELECT * FROM admit_scan_facts(%s, %s, %s, %s)"  # migration d9b4c6e8f012

_LOG = (f"INSERT INTO scans ({', '.join(SCAN_COLUMNS)}) "
        f"VALUES ({', '.join(f'%({c})s' for c in SCAN_COLUMNS)})")
# The presence upsert rides along as a data-modifying CTE: one statement, one round trip.
_LOG_AND_MOVE = (
    f"WITH moved AS (INSERT INTO presence ({', '.join(PRESENCE_COLUMNS)}) "
    f"VALUES ({', '.join(f'%(p_{c})s' for c in PRESENCE_COLUMNS)}) "
    "ON CONFLICT (attendee_id, zone_id) DO UPDATE SET inside = EXCLUDED.inside, "
    "day = EXCLUDED.day, since = EXCLUDED.since, gate_id = EXCLUDED.gate_id) " + _LOG)


@contextmanager
def cursor(statement: str, params: Any) -> Iterator[Any]:
    """A psycopg cursor on the session's connection, in its transaction. A driver error
    leaves as SQLAlchemy's own would (IntegrityError for a repeated scan_id,
    OperationalError for a dead or silent database), and a broken connection is
    invalidated so the pool never hands it out again."""
    conn = db.session.connection()
    driver = conn.connection.dbapi_connection
    try:
        with driver.cursor() as cur:  # type: ignore[union-attr]
            yield cur
    except psycopg.Error as exc:
        broken = bool(driver.closed or driver.broken)  # type: ignore[union-attr]
        if broken:
            conn.invalidate(exc)
        raise DBAPIError.instance(statement, params, exc, psycopg.Error, hide_parameters=True,
                                  connection_invalidated=broken, dialect=conn.dialect) from exc


def utc(value: dt.datetime | None) -> dt.datetime | None:
    # psycopg answers timestamptz in the session's time zone; the app speaks UTC.
    return value.astimezone(dt.UTC) if value is not None else None


def facts(badge_id: int, zone_id: int, day: dt.date, count: int) -> tuple[Any, ...] | None:
    params = (badge_id, zone_id, day, count)
    with cursor(FACTS, params) as cur:
        cur.execute(FACTS, params)
        row: tuple[Any, ...] | None = cur.fetchone()
        return row


def write(row: dict[str, Any], presence: dict[str, Any] | None) -> None:
    statement, params = _LOG, row
    if presence is not None:
        statement = _LOG_AND_MOVE
        params = {**row, **{f"p_{k}": v for k, v in presence.items()}}
    with cursor(statement, params) as cur:
        cur.execute(statement, params)
