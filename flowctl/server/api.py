"""Operations: each route declares its method, path, credential, request schema and every
status it answers; the same declarations validate requests, build ``/openapi.json`` and
(in the tests) check that every answer is one the document promises."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from flowctl.server.errors import ApiError
from flowctl.server.schemas import COMPONENTS, Schema, ref

Handler = Callable[[Request, Any], Awaitable[Response]]  # (request, runtime)

ERRORS = {
    400: "The request is not JSON, or a header is malformed.",
    401: "A credential is missing or wrong.",
    404: "No such resource, or the token does not grant it.",
    409: "The request conflicts with the current state (the body says which).",
    413: "The body is larger than the limit (the message names it).",
    422: "The body does not match the schema, or a bundle does not lint.",
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    name: str
    summary: str
    handler: Handler
    auth: str | None = None  # admin | visitor | conversation | None
    body: str | None = None  # a component schema name
    query: dict[str, Schema] = field(default_factory=dict)
    headers: dict[str, Schema] = field(default_factory=dict)
    responses: dict[int, tuple[str, Schema | None]] = field(default_factory=dict)
    description: str = ""
    max_body: int | None = None
    content: str = "application/json"  # of the 2xx answers


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(payload, status_code=status, headers=headers,
                        media_type="application/json; charset=utf-8")


def error_response(error: ApiError) -> Response:
    return json_response(error.status, error.body())


_VALIDATORS: dict[str, Any] = {}


def validate(schema_name: str, value: Any) -> None:
    """Raise a 422 naming the first problem when ``value`` does not match the schema."""
    import jsonschema_rs

    validator = _VALIDATORS.get(schema_name)
    if validator is None:
        schema = {**COMPONENTS[schema_name], "components": {"schemas": COMPONENTS}}
        validator = jsonschema_rs.validator_for(json.loads(json.dumps(schema)))
        _VALIDATORS[schema_name] = validator
    errors = list(validator.iter_errors(value))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.instance_path) or "the body"
        raise ApiError(422, "invalid_body", f"{where}: {first.message}")


async def read_json(request: Request, limit: int) -> Any:
    size = request.headers.get("content-length")
    if size is not None and size.isdigit() and int(size) > limit:
        raise ApiError(413, "body_too_large", f"the body is larger than {limit:,} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise ApiError(413, "body_too_large", f"the body is larger than {limit:,} bytes")
    try:
        return json.loads(body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ApiError(400, "invalid_json", f"the body is not JSON: {error}") from None


def openapi(operations: list[Operation], version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        item: dict[str, Any] = {"operationId": op.name, "summary": op.summary,
                                "responses": {}}
        if op.description:
            item["description"] = op.description
        if op.auth is not None:
            item["security"] = [{f"{op.auth}Token": []}]
        parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                      for name in _path_names(op.path)]
        parameters += [{"name": name, "in": "query", "required": False, "schema": schema}
                       for name, schema in op.query.items()]
        parameters += [{"name": name, "in": "header", "required": schema.get("x-required", False),
                        "schema": {k: v for k, v in schema.items() if k != "x-required"}}
                       for name, schema in op.headers.items()]
        if parameters:
            item["parameters"] = parameters
        if op.body is not None:
            item["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": ref(op.body)}}}
        for status, (text, schema) in sorted(op.responses.items()):
            answer: dict[str, Any] = {"description": text}
            if schema is not None:
                kind = op.content if status < 300 else "application/json"
                answer["content"] = {kind: {"schema": schema}}
            item["responses"][str(status)] = answer
        paths.setdefault(_openapi_path(op.path), {})[op.method.lower()] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": "flowctl runtime API", "version": version,
                 "description": "The contract of `flowctl serve`: publishing flows, visitors, "
                 "conversations and their events. Errors are {\"error\": {\"code\", "
                 "\"message\"}}; unknown fields in a body are a 422."},
        "paths": paths,
        "components": {"schemas": COMPONENTS, "securitySchemes": {
            f"{kind}Token": {"type": "http", "scheme": "bearer",
                             "description": f"the {kind} token"}
            for kind in ("admin", "visitor", "conversation")}},
    }


def error_responses(*statuses: int) -> dict[int, tuple[str, Schema | None]]:
    return {status: (ERRORS[status], ref("Error")) for status in statuses}


def _path_names(path: str) -> list[str]:
    return [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")]


def _openapi_path(path: str) -> str:
    return "/".join(part.split(":")[0] + "}" if part.startswith("{") and ":" in part else part
                    for part in path.split("/"))
