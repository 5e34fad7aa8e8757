"""Fixtures shared by all tests: real server processes on both databases."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.live import LiveServer, pg_available

DB_KINDS = ["sqlite", "postgres"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # In CI PostgreSQL is part of the machine: a missing server is a failure, not a skip.
    if os.environ.get("CI") != "true" and not pg_available():
        skip = pytest.mark.skip(reason="PostgreSQL not reachable on 127.0.0.1:5432 (local run)")
        for item in items:
            if "postgres" in item.keywords or "[postgres" in item.nodeid:
                item.add_marker(skip)


@pytest.fixture(scope="session", params=DB_KINDS)
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def live_server(db_kind: str) -> Iterator[LiveServer]:
    """One gunicorn server per database for the whole session (seeded demo event)."""
    server = LiveServer(db_kind).start()
    yield server
    server.stop()
