"""Operations: each route declares its method, path, credential, request schema and every
status it answers; the same declarations validate requests, build ``/openapi.json`` and
(in the tests) check that every answer is one the document promises."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from flowctl.server.errors import ApiError, not_found
from flowctl.server.schemas import COMPONENTS, PATH_NAME, PATH_NUMBER, Schema, ref

Handler = Callable[[Request, Any], Awaitable[Response]]  # (request, runtime)

ERRORS = {
    400: "The request is not JSON, or a header is malformed.",
    401: "A credential is missing or wrong.",
    404: "No such resource (or a path that cannot name one), or the token does not grant it.",
    409: "The request conflicts with the current state (the body says which).",
    413: "The body is larger than the limit (the message names it).",
    422: "The body or a query parameter does not match its schema, or the body is refused for "
         "what it says (the code says why: a bundle that does not lint, an Idempotency-Key "
         "reused with another body, a flow the project does not have...).",
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


def _validator(key: str, schema: Schema) -> Any:
    import jsonschema_rs

    validator = _VALIDATORS.get(key)
    if validator is None:
        document = {**schema, "components": {"schemas": COMPONENTS}}
        validator = jsonschema_rs.validator_for(json.loads(json.dumps(document)))
        _VALIDATORS[key] = validator
    return validator


def validate(schema_name: str, value: Any) -> None:
    """Raise a 422 naming the first problem when ``value`` does not match the schema."""
    errors = list(_validator(schema_name, COMPONENTS[schema_name]).iter_errors(value))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.instance_path) or "the body"
        raise ApiError(422, "invalid_body", f"{where}: {first.message}")


def path_parameters(op: Operation) -> dict[str, Schema]:
    """The schema of each path parameter: a number for ``{name:int}``, else a name."""
    names: dict[str, Schema] = {}
    for part in op.path.split("/"):
        if part.startswith("{"):
            name, _, kind = part[1:-1].partition(":")
            names[name] = PATH_NUMBER if kind == "int" else PATH_NAME
    return names


def check_parameters(op: Operation, path: Mapping[str, Any], query: QueryParams) -> dict[str, Any]:
    """Check the path and the declared query parameters against their schemas; the query's
    values, typed.  A path parameter that cannot name anything is a 404 (as for a name that
    names nothing); a declared query parameter given twice or not of its type is a 422.
    Query parameters the operation does not declare are ignored."""
    for name, schema in path_parameters(op).items():
        if name in path and not _validator(f"path:{op.name}:{name}", schema).is_valid(path[name]):
            raise not_found({"id": "conversation", "number": "revision"}.get(name, name))
    values: dict[str, Any] = {}
    for name, schema in op.query.items():
        if name not in query:
            continue
        given = query.getlist(name)
        if len(given) > 1:
            raise ApiError(422, "invalid_query", f"{name} is given {len(given)} times, once at most")
        value = _typed(given[0], schema)
        if value is None or not _validator(f"query:{op.name}:{name}", schema).is_valid(value):
            raise ApiError(422, "invalid_query", f"{name}: {given[0]!r} is not {_expected(schema)}")
        values[name] = value
    return values


def _typed(raw: str, schema: Schema) -> Any:
    """A query value as its schema's type (None when it cannot be)."""
    kind = schema.get("type")
    if kind == "integer":
        return int(raw) if raw.isascii() and raw.isdigit() else None
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw)
    return raw


def _expected(schema: Schema) -> str:
    if "enum" in schema:
        return " or ".join(repr(v) for v in schema["enum"])
    if schema.get("type") == "integer":
        return f"a whole number from {schema.get('minimum', 0)} to {schema.get('maximum', 'any')}"
    if schema.get("type") == "boolean":
        return "true or false"
    return "a string without U+0000"


async def read_json(request: Request, limit: int) -> Any:
    size = request.headers.get("content-length")
    if size is not None and size.isascii() and size.isdigit() and int(size) > limit:
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
        parameters = [{"name": name, "in": "path", "required": True, "schema": schema}
                      for name, schema in path_parameters(op).items()]
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
        for status, (text, schema) in sorted(documented_responses(op).items()):
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


def documented_responses(op: Operation) -> dict[int, tuple[str, Schema | None]]:
    """The operation's answers, with those ``check_parameters`` may give: a 404 where there
    are path parameters, a 422 where there are query parameters."""
    answers = dict(op.responses)
    if path_parameters(op):
        answers.setdefault(404, (ERRORS[404], ref("Error")))
    if op.query:
        answers.setdefault(422, (ERRORS[422], ref("Error")))
    return answers


def error_responses(*statuses: int) -> dict[int, tuple[str, Schema | None]]:
    return {status: (ERRORS[status], ref("Error")) for status in statuses}


def _openapi_path(path: str) -> str:
    return "/".join(part.split(":")[0] + "}" if part.startswith("{") and ":" in part else part
                    for part in path.split("/"))
