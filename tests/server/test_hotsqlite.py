"""The lane's SQLite statements on the driver (server/services/entry/hotsqlite.py) store
and read exactly what SQLAlchemy would, and fail as SQLAlchemy would. Real SQLite file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    func,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from server.models.types import UTCDateTime
from server.services.entry import hotsqlite

META = MetaData()
ROWS = Table("rows", META, Column("id", Integer, primary_key=True),
             Column("name", String(50), unique=True), Column("day", Date),
             Column("at", DateTime(timezone=True)), Column("inside", Boolean),
             Column("utc", UTCDateTime()))  # the models' own type (a TypeDecorator)
INSERT = insert(ROWS).values({c: bindparam(c) for c in ("id", "name", "day", "at", "inside", "utc")})
READ = select(ROWS.c.name, ROWS.c.day, ROWS.c.at, ROWS.c.inside, ROWS.c.utc,
              func.coalesce(ROWS.c.inside, False).label("known")).where(ROWS.c.id == bindparam("id"))

VALUES = [
    {"id": 1, "name": "Zhāng Wěi 张伟", "day": dt.date(2026, 12, 1),
     "at": dt.datetime(2026, 12, 1, 9, 30, 15, 123456), "inside": True,
     "utc": dt.datetime(2026, 12, 1, 9, 30, 15, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))},
    {"id": 2, "name": "Иван", "day": None, "at": None, "inside": None, "utc": None},
    {"id": 3, "name": "x\u00b2\r\n\x00y", "day": dt.date(1999, 1, 31),
     "at": dt.datetime(2026, 1, 1, 0, 0), "inside": False,
     "utc": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)},
]


@pytest.fixture
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path / 'h.db'}")
    META.create_all(engine)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("row", VALUES, ids=["cjk", "nulls", "bad-bytes"])
def test_written_by_either_read_alike_by_both(engine, row) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        hotsqlite.run(conn, INSERT, row)
        conn.execute(INSERT, {**row, "id": row["id"] + 100, "name": row["name"] + "+"})
    with engine.connect() as conn:
        for key in (row["id"], row["id"] + 100):
            ours = hotsqlite.run(conn, READ, {"id": key})
            theirs = tuple(conn.execute(READ, {"id": key}).one())
            assert ours == theirs
            assert ours is not None and ours[1:5] == (row["day"], row["at"], row["inside"],
                                                      row["utc"])
            assert ours[5] is (bool(row["inside"]))
        assert hotsqlite.run(conn, READ, {"id": 999}) is None


def test_errors_leave_as_sqlalchemys(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        hotsqlite.run(conn, INSERT, VALUES[0])
    with engine.connect() as conn, pytest.raises(IntegrityError):
        hotsqlite.run(conn, INSERT, {**VALUES[0], "id": 50})
    with engine.connect() as conn, pytest.raises(KeyError, match="id"):
        hotsqlite.run(conn, READ, {})  # a missing parameter is never a silent NULL
