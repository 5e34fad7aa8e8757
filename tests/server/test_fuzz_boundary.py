"""Every string and number a client can send, walked from our own OpenAPI description
with the values that gave 500s before (NUL and other control characters, ``²``, numbers
past 64 bits): each must answer below 500, on both databases.

Schemathesis (test_fuzz_api.py) explores at random; this walks every field of every
operation deterministically with the known-nasty values, so a new route or field cannot
escape it. The CSV import, whose body is not JSON, has its own fuzz (test_fuzz_csv.py).
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support.live import LiveServer

NASTY_TEXT = ["\x00", "a\x00b", "\x1b[31m", "\r\n", "\x7f", "\x85", "\x9f", "²", "٣",
              "9" * 25, "\ud7ff", " "]
NASTY_NUMBERS: list[Any] = ["²", "٣", 10**30, -(10**30), "9" * 25, 1e308]
SKIP = {("POST", "/api/v1/keys/rotate")}  # each call uses up one of 255 key ids


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    if "anyOf" in schema:
        schema = next((s for s in schema["anyOf"] if s.get("type") != "null"), schema["anyOf"][0])
        return _resolve(spec, schema)
    return schema


def _sample(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    schema = _resolve(spec, schema)
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "object":
        return {k: _sample(spec, v) for k, v in schema.get("properties", {}).items()
                if k in schema.get("required", [])}
    if kind == "array":
        return [_sample(spec, schema.get("items", {}))]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    return {"uuid": str(uuid.uuid4()), "date": dt.date.today().isoformat(),
            "date-time": dt.datetime.now(dt.UTC).isoformat(),
            "email": "fuzz@example.org"}.get(fmt or "", "x" * max(1, schema.get("minLength", 1)))


def _fields(spec: dict[str, Any], schema: dict[str, Any], path: tuple[Any, ...] = ()
            ) -> list[tuple[tuple[Any, ...], str]]:
    """(path, 'text' | 'number') for every leaf a body can carry, one level into arrays."""
    schema = _resolve(spec, schema)
    kind = schema.get("type")
    if kind == "object":
        out = []
        for key, sub in schema.get("properties", {}).items():
            out += _fields(spec, sub, (*path, key))
        return out
    if kind == "array" and len(path) < 3:
        return _fields(spec, schema.get("items", {}), (*path, 0))
    if kind in ("integer", "number"):
        return [(path, "number")]
    if kind == "string" or kind is None:
        return [(path, "text")]
    return []


def _set(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    body = copy.deepcopy(body)
    target = body
    for key in path[:-1]:
        if isinstance(key, int):
            while len(target) <= key:
                target.append({})
        elif key not in target or not isinstance(target[key], (dict, list)):
            target[key] = [] if isinstance(path[path.index(key) + 1], int) else {}
        target = target[key]
    if isinstance(target, list):
        target.append(value)
    else:
        target[path[-1]] = value
    return body


@pytest.fixture(scope="module")
def own_server(db_kind: str) -> Iterator[LiveServer]:
    """A server of its own: the walk renames levels, zones, gates and events with the
    values it accepts, which the shared session server's other tests rely on."""
    server = LiveServer(db_kind).start()
    yield server
    server.stop()


def test_every_field_refuses_nasty_values_below_500(own_server: LiveServer) -> None:
    live_server = own_server
    spec = requests.get(f"{live_server.url}/api/v1/openapi.json", timeout=10).json()
    admin = live_server.session("admin")
    gate = live_server.session("gate")
    sent = errors = 0
    failures: list[str] = []
    for route, operations in spec["paths"].items():
        for method, op in operations.items():
            method = method.upper()
            if (method, route) in SKIP:
                continue
            target = live_server.url + _fill_path(route)
            client = gate if route.startswith("/api/v1/scans") and method == "POST" else admin
            cases: list[dict[str, Any]] = []
            for param in op.get("parameters", []):
                if param["in"] != "query":
                    continue
                kind = _resolve(spec, param.get("schema", {})).get("type")
                values = NASTY_NUMBERS if kind in ("integer", "number") else NASTY_TEXT
                cases += [{"params": {param["name"]: str(v)}} for v in values]
            body_schema = (op.get("requestBody", {}).get("content", {})
                           .get("application/json", {}).get("schema"))
            if body_schema:
                base = _sample(spec, body_schema)
                for path, kind in _fields(spec, body_schema):
                    values = NASTY_NUMBERS if kind == "number" else NASTY_TEXT
                    cases += [{"json": _set(base, path, v)} for v in values]
            for case in cases:
                answer = client.request(method, target, timeout=30, **case)
                sent += 1
                if answer.status_code >= 500:
                    errors += 1
                    failures.append(f"{method} {route} {case!r:.200} -> {answer.status_code}")
    print(f"\nboundary fuzz ({live_server.db_kind}): {sent} requests, 5xx: {errors}")
    assert sent > 300
    assert not failures, "\n".join(failures[:30])


def _fill_path(route: str) -> str:
    out = route
    while "{" in out:
        start, end = out.index("{"), out.index("}")
        out = out[:start] + "1" + out[end + 1:]
    return out
