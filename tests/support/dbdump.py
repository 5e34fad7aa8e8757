"""Every row of every table of a test server's database, as text, for "is it gone?"."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.support.live import LiveServer


def server_tables(server: LiveServer) -> dict[str, str]:
    """Table name -> all its rows as one text (bytes decoded leniently)."""
    if server.db_kind == "sqlite":
        with sqlite3.connect(server.instance / "admit.db") as conn:
            names = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")]
            return {n: "\n".join(_text(r) for r in conn.execute(f'SELECT * FROM "{n}"'))
                    for n in names}
    import psycopg

    schema = server._schema
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test") as conn:
        names = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema=%s", (schema,))]
        return {n: "\n".join(_text(r) for r in conn.execute(f'SELECT * FROM "{schema}"."{n}"'))
                for n in names}


def sqlite_file_tables(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: "\n".join(_text(r) for r in conn.execute(f'SELECT * FROM "{n}"')) for n in names}


def _text(row: tuple[object, ...]) -> str:
    return " | ".join(
        v.decode("utf-8", "replace") if isinstance(v, bytes | memoryview) and not isinstance(v, memoryview)
        else bytes(v).decode("utf-8", "replace") if isinstance(v, memoryview) else str(v)
        for v in row)
