"""The JSON API under /api/v1: a blueprint per area, all routes thin."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from werkzeug.routing import IntegerConverter, Map

from shared import MAX_ID

from ..access import PUBLIC
from ..extensions import db
from ..ratelimit import limiter
from . import (
    alerts,
    attendees,
    audit,
    badges,
    dayend,
    devices,
    events,
    exports,
    jobs,
    keys,
    occupancy,
    openapi,
    privacy,
    reports,
    scans,
    setup,
    sync,
    webhooks,
)
from .registry import endpoint

health = Blueprint("health", __name__)


class BoundedInt(IntegerConverter):
    """Ids in paths fit the database's integer columns; anything larger is a plain 404
    rather than an overflow deep in PostgreSQL."""

    def __init__(self, url_map: Map, *args: object, **kwargs: object) -> None:
        super().__init__(url_map, min=0, max=MAX_ID)


def register(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedInt
    for module in (scans, sync, setup, attendees, badges, keys, alerts, occupancy, devices,
                   jobs, exports, privacy, dayend, webhooks, reports, events, audit):
        app.register_blueprint(module.bp, url_prefix="/api/v1")
    app.register_blueprint(health)
    # No per-address limit applies to the gates' scans (typed numbers have their own, per
    # device: services.ratelimit); exempt, Flask-Limiter skips its lookup on every scan.
    limiter.exempt(scans.bp)

    spec: dict[str, object] = {}

    @app.get("/api/v1/openapi.json")
    def openapi_json() -> object:
        if not spec:
            spec.update(openapi.build(app))
        return jsonify(spec)


@health.get("/healthz")
def healthz() -> object:
    from sqlalchemy import text

    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok", "database": db.engine.dialect.name})


__all__ = ["PUBLIC", "endpoint", "register"]
