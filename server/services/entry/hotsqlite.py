"""The scan lane's statements on SQLite, run on the driver (``sqlite3``) itself.

The lane's SQLite statements are SQLAlchemy Core constructs, built once; executing one
through a SQLAlchemy Connection cost ~0.1 ms of CPU beyond SQLite's own work (execution
context, parameter construction, result metadata, events), five of them per scan, part
of it inside the writer lock every scan on the host waits for. Here each is compiled
once for the dialect, and runs with the types' own bind and result processors, so the
values stored and read are exactly what SQLAlchemy would store and read (its SQLite
date and time text formats). Errors leave as SQLAlchemy's (an ``IntegrityError`` for a
repeated scan_id, an ``OperationalError`` for a locked database), as the callers expect.

Only the lane uses it (server/lane.py): the session's path stays on the ORM.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Select


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the parameter of each ?
    fixed: tuple[Any, ...]  # the statement's own value of each (a literal in it), if any
    binds: tuple[Callable[[Any], Any] | None, ...]
    results: tuple[Callable[[Any], Any] | None, ...]


_REQUIRED = object()  # a parameter the caller must give
# Keyed by the statement object: the lane's statements are module constants, built once.
_COMPILED: dict[int, tuple[Any, _Compiled]] = {}


def _compile(statement: Any, dialect: Any) -> _Compiled:
    held = _COMPILED.get(id(statement))
    if held is not None and held[0] is statement:
        return held[1]
    compiled = statement.compile(dialect=dialect)
    names = tuple(compiled.positiontup or ())
    binds = tuple(compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
                  for name in names)
    fixed = tuple(_REQUIRED if compiled.binds[name].required else compiled.binds[name].effective_value
                  for name in names)
    columns = statement.selected_columns if isinstance(statement, Select) else ()
    results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
                    for column in columns)
    plan = _Compiled(str(compiled), names, fixed, binds, results)
    _COMPILED[id(statement)] = (statement, plan)
    return plan


def run(conn: Any, statement: Any, params: dict[str, Any]) -> tuple[Any, ...] | None:
    """``statement`` with ``params`` on ``conn``'s (a SQLAlchemy Connection's) sqlite3
    connection, in whatever transaction it is in; its first row, typed, or None."""
    plan = _compile(statement, conn.dialect)
    values = []
    for name, fixed, bind in zip(plan.names, plan.fixed, plan.binds, strict=True):
        value = params.get(name, fixed)
        if value is _REQUIRED:
            raise KeyError(f"{name}: no value for this statement's parameter")
        values.append(value if bind is None else bind(value))
    driver = conn.connection.driver_connection
    try:
        cursor = driver.execute(plan.sql, values)
        row = cursor.fetchone()
        cursor.close()
    except sqlite3.Error as exc:
        raise DBAPIError.instance(plan.sql, values, exc, sqlite3.Error, hide_parameters=True,
                                  dialect=conn.dialect) from exc
    if row is None:
        return None
    if not plan.results:
        return tuple(row)
    return tuple(value if result is None or value is None else result(value)
                 for value, result in zip(row, plan.results, strict=True))
