"""Admit server: ``create_app`` builds everything; nothing happens at import time."""

from __future__ import annotations

import logging
import os
import traceback
from pathlib import Path
from typing import Any

import sqlalchemy.exc
from flask import Flask, jsonify
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from . import ratelimit, security
from .config import Config
from .errors import AdmitError, envelope
from .extensions import db, migrate
from .services.db import note_disconnect

log = logging.getLogger(__name__)
MIGRATIONS = str(Path(__file__).resolve().parent / "migrations")


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    # Everything this process creates (database, secrets, outbox mail, PDFs) is its own.
    os.umask(0o077)
    app = Flask(__name__, instance_path=None)
    config = Config(**(overrides or {}))
    app.config.from_object(config)
    app.instance_path = config.INSTANCE_PATH
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _private_sqlite_files(config.SQLALCHEMY_DATABASE_URI)
    if not config.SQLALCHEMY_DATABASE_URI.startswith("sqlite") and not config.SECRETS_FROM_ENV:
        log.warning("DATABASE_URL is shared but SECRET_KEY and KEY_ENCRYPTION_KEY are not both "
                    "set: other instances on this database cannot read this one's sessions "
                    "or signing keys (see README, 'Secrets')")

    from .services.db import configure_engine, prepare_engine_options

    prepare_engine_options(app)
    db.init_app(app)
    from . import lane

    lane.install(app)  # before security.init_app: ProxyFix goes outside the lane
    security.init_app(app)
    ratelimit.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)

    configure_engine(app)
    _register_errors(app)
    from .guards import refuse_control_characters_in_urls

    app.before_request(refuse_control_characters_in_urls)
    from . import observability

    observability.init_app(app)

    from . import api, cli, compression

    api.register(app)
    compression.init_app(app)
    cli.register(app)
    try:
        from . import web
    except ImportError:  # the dashboard is optional for API-only deployments
        web = None  # type: ignore[assignment]
    if web is not None and hasattr(web, "register"):
        web.register(app)
    return app


def _private_sqlite_files(url: str) -> None:
    """The SQLite file (and its WAL, which SQLite creates with the file's mode) is 0600,
    also when an older version created it 0644."""
    if not url.startswith("sqlite:///") or url.endswith(":memory:"):
        return
    path = Path(url.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for each in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if each.exists() and each.stat().st_mode & 0o077:
            each.chmod(0o600)


def _register_errors(app: Flask) -> None:
    @app.errorhandler(AdmitError)
    def _admit(exc: AdmitError) -> Any:
        headers = getattr(exc, "headers", None) or {}  # e.g. Retry-After on a 429
        return jsonify(envelope(exc.code, exc.message, exc.details)), exc.status, headers

    @app.errorhandler(ValidationError)
    def _pydantic(exc: ValidationError) -> Any:
        from .api.registry import validation_details

        return jsonify(envelope("validation_failed", "invalid input",
                                validation_details(exc))), 422

    @app.errorhandler(OperationalError)
    @app.errorhandler(sqlalchemy.exc.TimeoutError)
    def _database_down(exc: Exception) -> Any:
        # Unreachable, not answering in time, or the pool exhausted by such waits: the
        # client may try again (a gate decides offline meanwhile), never a 500.
        log.warning("database unavailable: %s", type(exc).__name__)
        if isinstance(exc, OperationalError):
            note_disconnect()  # the lane's pool may hold connections just as dead
        return jsonify(envelope("database_unavailable",
                                "the database is not answering, try again")), 503

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        name = (exc.name or "error").lower().replace(" ", "_")
        return jsonify(envelope(name, exc.description or exc.name or "")), exc.code or 500

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        from .services.entry.privacy import redact_codes

        trace = "".join(traceback.format_exception(exc))
        log.error("unhandled error\n%s", redact_codes(trace))
        return jsonify(envelope("internal", "internal error; it has been logged")), 500
