"""The OpenAPI description, built from the routes' ``endpoint`` metadata and the
pydantic schemas in ``shared.schemas``."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared import MAX_ID
from shared.schemas import ErrorEnvelope

from .registry import EndpointMeta

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_ERRORS = {
    "400": "Bad request (bad JSON, missing body)",
    "401": "No or bad bearer token",
    "403": "Role not allowed",
    "404": "Not found",
    "409": "Conflict",
    "422": "Validation failed",
    "503": "Database busy, retry",
}


def _models(metas: list[EndpointMeta]) -> list[type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {"ErrorEnvelope": ErrorEnvelope}
    for meta in metas:
        for model in (meta.body, meta.response):
            if model is not None:
                seen[model.__name__] = model
    return list(seen.values())


def build(app: Flask) -> dict[str, Any]:
    routes: list[tuple[str, EndpointMeta]] = []
    for rule in app.url_map.iter_rules():
        meta = getattr(app.view_functions.get(rule.endpoint), "admit_meta", None)
        if meta is not None:
            routes.append((rule.rule, meta))
    _, defs = models_json_schema(
        [(m, "validation") for m in _models([m for _, m in routes])],
        ref_template="#/components/schemas/{model}",
    )
    paths: dict[str, dict[str, Any]] = {}
    for rule, meta in sorted(routes, key=lambda r: r[0]):
        path = _CONVERTER.sub(r"{\2}", rule)
        params: list[dict[str, Any]] = [
            {"name": name, "in": "path", "required": True,
             "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID} if conv == "int" else {"type": "string"}}
            for conv, name in _CONVERTER.findall(rule)
        ]
        if "anonymous" not in meta.roles:
            params.append({"name": "event", "in": "query", "required": False,
                           "description": "the event (default: the server's default event)",
                           "schema": {"type": "integer", "minimum": 1, "maximum": 999999999}})
        if meta.query is not None:
            schema = meta.query.model_json_schema()
            for name, prop in schema.get("properties", {}).items():
                params.append({"name": name, "in": "query",
                               "required": name in schema.get("required", []), "schema": prop})
        op: dict[str, Any] = {
            "summary": meta.summary,
            "operationId": f"{meta.method.lower()}_{path.strip('/').replace('/', '_')}",
            "parameters": params,
            "responses": {
                str(meta.status): {
                    "description": "OK",
                    "content": {meta.content_type: {"schema": (
                        {"$ref": f"#/components/schemas/{meta.response.__name__}"}
                        if meta.response else {"type": "string", "format": "binary"})}},
                },
                **{code: {"description": text, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}}
                   for code, text in _ERRORS.items()},
            },
        }
        if "anonymous" not in meta.roles:
            op["security"] = [{"bearer": []}]
            op["description"] = "Roles: " + ", ".join(sorted(meta.roles))
        if meta.body is not None:
            op["requestBody"] = {"required": not meta.body_optional, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{meta.body.__name__}"}}}}
        elif meta.request_content:
            op["requestBody"] = {"required": True, "content": {
                ct: {"schema": {"type": "string"}} for ct in meta.request_content}}
        paths.setdefault(path, {})[meta.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Admit API", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
