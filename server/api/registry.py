"""``endpoint``: one decorator that authorises, parses and shapes every API route, and
records what the OpenAPI description is built from (no hand-written spec to drift)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ValidationError

from ..errors import AdmitError, ValidationFailed
from .auth import Principal, require


@dataclass(frozen=True)
class EndpointMeta:
    method: str
    roles: frozenset[str]
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    content_type: str = "application/json"
    request_content: tuple[str, ...] = field(default_factory=tuple)
    body_optional: bool = False


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
        for err in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def _parse_body(model: type[BaseModel], optional: bool) -> BaseModel:
    raw = request.get_data(cache=True)
    if not raw and optional:
        return model()
    if not raw:
        raise AdmitError("a JSON body is required", code="bad_json")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise AdmitError("the body is not valid JSON", code="bad_json") from exc
        raise ValidationFailed("the body does not match the schema",
                               details=validation_details(exc)) from exc


def _parse_query(model: type[BaseModel]) -> BaseModel:
    try:
        args = request.args.to_dict()
        args.pop("event", None)  # every route takes it; services.events reads it
        return model.model_validate(args)
    except ValidationError as exc:
        raise ValidationFailed("bad query parameters", details=validation_details(exc)) from exc


def endpoint(
    bp: Blueprint,
    rule: str,
    method: str,
    *,
    roles: frozenset[str],
    summary: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    content_type: str = "application/json",
    request_content: tuple[str, ...] = (),
    body_optional: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    meta = EndpointMeta(method, roles, summary, body, query, response, status, content_type,
                        request_content, body_optional)

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(fn)
        def view(**path: Any) -> Any:
            principal: Principal = require(roles)
            kwargs: dict[str, Any] = dict(path)
            if body is not None:
                kwargs["body"] = _parse_body(body, body_optional)
            if query is not None:
                kwargs["query"] = _parse_query(query)
            result = fn(principal, **kwargs)
            if isinstance(result, Response):
                return result
            if isinstance(result, BaseModel):
                return jsonify(result.model_dump(mode="json")), status
            return result

        view.admit_meta = meta  # type: ignore[attr-defined]
        bp.add_url_rule(rule, fn.__name__, view, methods=[method])
        return view

    return decorate
