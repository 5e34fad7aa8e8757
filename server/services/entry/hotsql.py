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
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import generators, pq
from psycopg.adapt import PyFormat, Transformer
from sqlalchemy.exc import DBAPIError

from ...extensions import db
from ..db import note_disconnect

SCAN_COLUMNS = ("scan_id", "event_id", "device_id", "gate_id", "zone_id", "direction", "code",
                "badge_id", "badge_revision", "attendee_id", "verdict", "reason",
                "server_reason", "mode", "lan_seq", "scanned_at", "device_time", "received_at",
                "conflict", "note")
PRESENCE_COLUMNS = ("attendee_id", "zone_id", "inside", "day", "since", "gate_id")
FACTS = "SELECT * FROM admit_scan_facts(%s, %s, %s, %s)"  # migration d9b4c6e8f012
FACTS_WIDTH = 19  # its columns

_LOG = (f"INSERT INTO scans ({', '.join(SCAN_COLUMNS)}) "
        f"VALUES ({', '.join(f'%({c})s' for c in SCAN_COLUMNS)})")
# The presence upsert rides along as a data-modifying CTE: one statement, one round trip.
_LOG_AND_MOVE = (
    f"WITH moved AS (INSERT INTO presence ({', '.join(PRESENCE_COLUMNS)}) "
    f"VALUES ({', '.join(f'%(p_{c})s' for c in PRESENCE_COLUMNS)}) "
    "ON CONFLICT (attendee_id, zone_id) DO UPDATE SET inside = EXCLUDED.inside, "
    "day = EXCLUDED.day, since = EXCLUDED.since, gate_id = EXCLUDED.gate_id) " + _LOG)


@dataclass
class _Lane:
    pooled: Any  # PostgreSQL: a pool's raw connection (psycopg, autocommit)
    sqlite: Any = None  # SQLite: a SQLAlchemy Connection of the engine
    prefetched: dict[tuple[Any, ...], tuple[Any, ...] | None] = field(default_factory=dict)
    read: tuple[Any, Any, Any] = (None, None, None)  # presence as the facts found it
    capacity: int | None = None


# The scan lane's pooled connection (server/lane.py), while it runs a scan outside the
# ORM session: these statements then go there, in the lane's own transaction.
_LANE: ContextVar[_Lane | None] = ContextVar("admit_scan_lane", default=None)


@contextmanager
def lane(pooled: Any) -> Iterator[None]:
    """Run this block's statements on ``pooled`` (a pool's raw connection) instead of the
    session's connection."""
    token = _LANE.set(_Lane(pooled))
    try:
        yield
    finally:
        _LANE.reset(token)


@contextmanager
def lane_sqlite(conn: Any) -> Iterator[None]:
    """The scan lane on SQLite: this block's statements go to ``conn``."""
    token = _LANE.set(_Lane(None, conn))
    try:
        yield
    finally:
        _LANE.reset(token)


def on_postgres() -> bool:
    """Whether the scan path's statements go to PostgreSQL."""
    state = _LANE.get()
    if state is not None:
        return state.pooled is not None
    return bool(db.session.get_bind().dialect.name == "postgresql")


def sqlite_lane() -> Any:
    """The scan lane's SQLite connection, or None outside the lane."""
    state = _LANE.get()
    return state.sqlite if state is not None else None


def remember_read(inside: Any, day: Any, since: Any) -> None:
    """Presence as the lane's facts found it: an admit is written only if it still is."""
    state = _LANE.get()
    if state is not None:
        state.read = (inside, day, since)


def lane_state() -> _Lane | None:
    return _LANE.get()


def fetch(statement: str, params: dict[str, Any] | tuple[Any, ...]) -> tuple[Any, ...] | None:
    """Run one of these statements; its first row, or None. In the scan lane (autocommit)
    straight on libpq (``_run_raw``); in the session's transaction on its cursor, which
    also sends the BEGIN that opens it."""
    state = _LANE.get()
    if state is not None and state.pooled is not None and isinstance(params, dict):
        with cursor(statement, params):  # the same error handling
            return _run_raw(state.pooled.driver_connection, statement, params)
    with cursor(statement, params) as cur:
        cur.execute(statement, params)
        row: tuple[Any, ...] | None = cur.fetchone() if cur.description is not None else None
        return row


@dataclass(frozen=True)
class _Plan:
    sql: bytes  # the statement with $1, $2... for its named parameters
    names: tuple[str, ...]  # the parameter of each $n


_PLANS: dict[str, _Plan] = {}
_NAMED = re.compile(r"%\((\w+)\)s")


def _plan(statement: str) -> _Plan:
    plan = _PLANS.get(statement)
    if plan is None:
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        plan = _PLANS[statement] = _Plan(_NAMED.sub(number, statement).encode(), tuple(names))
    return plan


def _run_raw(driver: Any, statement: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
    """One prepared statement on libpq, through psycopg's own (compiled) adapters, wait
    loop and errors, without a cursor: a cursor's query rewriting, preparation
    bookkeeping and result state cost the lane more than a third of its driver time.
    Statements are prepared once per connection and per parameter types (a None where
    a date was sends another type)."""
    plan = _plan(statement)
    tx = getattr(driver, "admit_tx", None)
    if tx is None:
        tx = driver.admit_tx = Transformer(driver)
        driver.admit_prepared = {}
    data = tx.dump_sequence([params[name] for name in plan.names], [PyFormat.AUTO] * len(plan.names))
    pg, types = driver.pgconn, tuple(tx.types)
    name = driver.admit_prepared.get((plan.sql, types))
    if name is None:
        name = b"admit_lane_%d" % len(driver.admit_prepared)
        pg.send_prepare(name, plan.sql, param_types=types)
        _result(driver, driver.wait(generators.execute(pg)))
        driver.admit_prepared[plan.sql, types] = name
    pg.send_query_prepared(name, data, param_formats=tx.formats)
    result = _result(driver, driver.wait(generators.execute(pg)))
    if result.ntuples == 0:
        return None
    tx.set_pgresult(result)
    row: tuple[Any, ...] = tx.load_row(0, tuple)
    return row


def _result(driver: Any, results: list[Any]) -> Any:
    result = results[-1]
    if result.status not in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
        raise psycopg.errors.error_from_result(result, encoding=driver.info.encoding)
    return result


@contextmanager
def cursor(statement: str, params: Any) -> Iterator[Any]:
    """A psycopg cursor on the session's connection (or the lane's), in its transaction.
    A driver error leaves as SQLAlchemy's own would (IntegrityError for a repeated
    scan_id, OperationalError for a dead or silent database), and a broken connection is
    invalidated so the pool never hands it out again."""
    state = _LANE.get()
    pooled = state.pooled if state is not None else None
    conn = db.session.connection() if pooled is None else None
    driver = pooled.driver_connection if conn is None else conn.connection.dbapi_connection
    try:
        yield _cursor_of(driver)
    except psycopg.Error as exc:
        broken = bool(driver.closed or driver.broken)
        if broken:
            (pooled or conn).invalidate(exc)
            note_disconnect()
        raise DBAPIError.instance(statement, params, exc, psycopg.Error, hide_parameters=True,
                                  connection_invalidated=broken,
                                  dialect=db.engine.dialect if conn is None else conn.dialect) from exc


def _cursor_of(driver: Any) -> Any:
    """The connection's one cursor for these statements, made once: a cursor per statement
    (its adapters and state) cost as much as a tenth of the scan lane's own work. A cursor
    outlives a failed statement; a closed connection is dropped by the pool, and a new
    connection gets its own."""
    cur = getattr(driver, "admit_cursor", None)
    if cur is None or cur.closed:
        cur = driver.admit_cursor = driver.cursor()
    return cur


def utc(value: dt.datetime | None) -> dt.datetime | None:
    # psycopg answers timestamptz in the session's time zone; the app speaks UTC.
    return value.astimezone(dt.UTC) if value is not None else None


# The scan lane runs in autocommit: no BEGIN or COMMIT of its own, no lock held while
# Python decides. Its facts are read without locks (admit_scan_facts' SELECT, same
# columns), and an admit is written on condition that presence (and, entering a zone
# with a capacity, the count under the counter row's lock) is still what was read; a
# write that finds otherwise writes nothing and the scan goes to the locking path.
_PLAIN_FACTS = """
SELECT b.id, b.revision, b.status::text, b.event_id, b.zone_mask, b.day_mask, b.revoked_at,
       b.attendee_id,
       (SELECT count(*) FROM signing_keys k WHERE k.event_id = b.event_id AND k.retired_at IS NULL),
       (SELECT coalesce(max(k.key_id), 0) FROM signing_keys k WHERE k.event_id = b.event_id),
       a.name::text, a.organization::text, a.country::text, a.deleted_at, l.name::text,
       p.inside, p.day, p.since,
       CASE WHEN %(f_count)s = 0 THEN 0 ELSE coalesce((SELECT o.inside FROM zone_occupancy o
         WHERE o.zone_id = %(f_zone)s AND o.day = %(f_day)s), 0) END
  FROM badges b
  JOIN attendees a ON a.id = b.attendee_id
  JOIN access_levels l ON l.id = a.access_level_id
  LEFT JOIN presence p ON p.attendee_id = a.id AND p.zone_id = %(f_zone)s
 WHERE b.id = {badge}"""
_LANE_FACTS = _PLAIN_FACTS.format(badge="%(f_badge)s")
_PRESENCE_AS_READ = ("presence.inside = %(e_inside)s AND presence.day = %(e_day)s "
                     "AND presence.since = %(e_since)s")
# The badge row is locked first, as every check-in does (admit_scan_facts), so the lane
# and the locking path exclude each other per badge; the counter row (an entry into a
# zone with a capacity) after it, in that order: ``room`` reads from ``held``.
_HELD = "held AS (SELECT id FROM badges WHERE id = %(badge_id)s FOR UPDATE)"
_ROOM = ("room AS (INSERT INTO zone_occupancy AS o (zone_id, day, inside) "
         "SELECT %(p_zone_id)s, %(p_day)s, 0 FROM held ON CONFLICT (zone_id, day) "
         "DO UPDATE SET inside = o.inside RETURNING o.inside)")
_MOVE_IF = (
    "moved AS (INSERT INTO presence ({cols}) SELECT {values} FROM {source} "
    "ON CONFLICT (attendee_id, zone_id) DO UPDATE SET inside = EXCLUDED.inside, "
    "day = EXCLUDED.day, since = EXCLUDED.since, gate_id = EXCLUDED.gate_id "
    f"WHERE {_PRESENCE_AS_READ} RETURNING 1)").format(
    cols=", ".join(PRESENCE_COLUMNS), values=", ".join(f"%(p_{c})s" for c in PRESENCE_COLUMNS),
    source="{source}")
_LOG_IF_MOVED = (f"INSERT INTO scans ({', '.join(SCAN_COLUMNS)}) "
                 f"SELECT {', '.join(f'%({c})s' for c in SCAN_COLUMNS)} "
                 "WHERE EXISTS (SELECT 1 FROM moved) RETURNING 1")
_LANE_MOVE = f"WITH {_HELD}, {_MOVE_IF.format(source='held')} {_LOG_IF_MOVED}"
_LANE_ENTER = (f"WITH {_HELD}, {_ROOM}, "
               f"{_MOVE_IF.format(source='room WHERE room.inside < %(capacity)s')} "
               f"{_LOG_IF_MOVED}")


class LostRace(Exception):
    """The scan lane's conditional write found presence or the zone's count changed
    since its facts were read: nothing was written."""


def lane_capacity(capacity: int | None) -> None:
    """The capacity an admit in this lane scan must find room under (an entry into a
    zone with one), checked by the write under the counter's lock."""
    state = _LANE.get()
    if state is not None:
        state.capacity = capacity


def facts(badge_id: int, zone_id: int, day: dt.date, count: int) -> tuple[Any, ...] | None:
    params = (badge_id, zone_id, day, count)
    state = _LANE.get()
    if state is None:
        return fetch(FACTS, params)
    if params in state.prefetched:  # read with the token already
        row = state.prefetched.pop(params)
    else:
        values = {"f_badge": badge_id, "f_zone": zone_id, "f_day": day, "f_count": count}
        row = fetch(_LANE_FACTS, values)
    state.read = row[15:18] if row is not None else (None, None, None)
    return row


_TOKEN_AND_FACTS: dict[str, str] = {}


def token_and_facts(auth_sql: str, token_hash: str,
                    params: tuple[int, int, dt.date, int]) -> tuple[Any, ...] | None:
    """The device's token row and, beside it, the facts ``facts(*params)`` would read
    (the lane's, without locks): one statement, one round trip. The facts are read for
    a token that is not revoked only, and wait in the lane for the check-in engine's
    ``facts`` call. Returns the token's columns, or None."""
    statement = _TOKEN_AND_FACTS.get(auth_sql)
    if statement is None:
        facts_sql = _PLAIN_FACTS.format(badge="CASE WHEN t.revoked_at IS NULL THEN %(f_badge)s END")
        statement = _TOKEN_AND_FACTS[auth_sql] = (
            f"SELECT * FROM ({auth_sql}) AS t LEFT JOIN LATERAL ({facts_sql}) AS f ON true")
    badge_id, zone_id, day, count = params
    values = {"token_hash": token_hash, "f_badge": badge_id, "f_zone": zone_id, "f_day": day,
              "f_count": count}
    row = fetch(statement, values)
    if row is None:
        return None
    width = len(row) - FACTS_WIDTH
    state = _LANE.get()
    if state is not None:
        state.prefetched[params] = row[width:] if row[width] is not None else None
    return row[:width]


def write(row: dict[str, Any], presence: dict[str, Any] | None) -> None:
    statement, params = _LOG, row
    state = _LANE.get()
    if presence is not None:
        params = {**row, **{f"p_{k}": v for k, v in presence.items()}}
        statement = _LOG_AND_MOVE
        if state is not None:
            statement = _LANE_MOVE if state.capacity is None else _LANE_ENTER
            inside, day, since = state.read
            params.update(e_inside=inside, e_day=day, e_since=since, capacity=state.capacity)
    stored = fetch(statement, params)
    if state is not None and presence is not None and stored is None:
        raise LostRace()
