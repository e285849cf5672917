"""The application factory: ``create_app(settings)`` → a Starlette app serving the runtime API.

Starting it (the ASGI lifespan) opens the database, applies migrations, settles the admin
token, opens the guarded HTTP client and starts the workers; stopping it undoes that.
Every answer is JSON (errors ``{"error": {"code", "message"}}``, never a stack trace); every
request is logged as one JSON line with a request id, and never with a token.

``clock``, ``env`` and ``assistant`` replace the real ones from Python only (tests): no flag
or variable reaches them.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Mapping, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route

from flowctl import __version__
from flowctl.server import auth
from flowctl.server.api import (
    Operation,
    check_parameters,
    error_response,
    json_response,
    openapi,
)
from flowctl.server.errors import ApiError
from flowctl.server.settings import Settings

log = logging.getLogger("flowctl.server")

ALL_OPERATIONS: list[Operation] = []


def operations() -> list[Operation]:
    if not ALL_OPERATIONS:
        from flowctl.server import routes_chat, routes_operator, routes_ops, routes_publish

        ALL_OPERATIONS.extend(routes_ops.OPERATIONS + routes_publish.OPERATIONS
                              + routes_operator.OPERATIONS + routes_chat.OPERATIONS)
    return ALL_OPERATIONS


class JsonLogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {"at": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
                                 "level": record.levelname.lower(), "msg": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a line is logged (not the stream of the
    moment the server was configured, which a test runner may have closed since)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(level: str) -> None:
    handler = _StderrHandler()
    handler.setFormatter(JsonLogFormatter())
    log.handlers[:] = [handler]
    log.setLevel(level.upper())
    log.propagate = False


def _endpoint(op: Operation) -> Any:
    async def handle(request: Request) -> Response:
        runtime = request.app.state.runtime
        try:
            if op.auth == "admin":
                token = auth.bearer(request.headers.get("authorization"))
                if not token or not auth.same(token, auth.token_hash(runtime.admin_token)):
                    raise ApiError(401, "unauthorized", "this route needs the admin token "
                                   "(Authorization: Bearer ...)")
            request.state.query = check_parameters(op, request.path_params, request.query_params)
            return await op.handler(request, runtime)
        except ApiError as error:
            return error_response(error)

    handle.__name__ = op.name
    return handle


class Observe:
    """ASGI middleware: request id, JSON access log, metrics, and a JSON 500 instead of any
    unhandled exception."""

    def __init__(self, app: Any, metrics: Any) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = os.urandom(8).hex()
        started = time.perf_counter()
        status = {"code": 500, "sent": False}

        async def sending(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["sent"] = True
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            log.error("unhandled error", extra={"fields": {
                "request_id": request_id, "error": type(error).__name__}})
            if not status["sent"]:
                response = json_response(500, {"error": {
                    "code": "internal", "message": f"internal error (request {request_id})"}})
                await response(scope, receive, sending)
        finally:
            route = scope.get("route")
            name = getattr(route, "name", "unmatched") if route is not None else "unmatched"
            elapsed = time.perf_counter() - started
            self.metrics.answered(name, scope["method"], status["code"], elapsed)
            if log.isEnabledFor(logging.INFO):
                log.info("request", extra={"fields": {
                    "request_id": request_id, "method": scope["method"], "path": scope["path"],
                    "status": status["code"], "ms": round(elapsed * 1000, 2)}})


def create_app(settings: Settings | None = None, *, storage: Any = None, clock: Any = None,
               env: Mapping[str, str] | None = None, assistant: Any = None,
               workers: bool = True) -> Starlette:
    """The runtime as an ASGI app (see the module docstring)."""
    import os

    from flowctl.server.metrics import Metrics

    settings = settings or Settings.load()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        from flowctl.server.egress import EgressPolicy, guarded_client
        from flowctl.server.runtime import Runtime
        from flowctl.server.storage import open_storage
        from flowctl.server.workers import Workers

        store = storage or await open_storage(settings.database, durability=settings.durability)
        await store.migrate()
        token, kept = auth.admin_token(settings.data_dir, settings.admin_token)
        if kept is not None:
            log.info("admin token", extra={"fields": {"file": str(kept)}})
        runtime = Runtime(store, settings, token, env=env if env is not None else os.environ,
                          assistant=assistant)
        if clock is not None:
            runtime.clock = clock
        runtime.http = guarded_client(EgressPolicy.parse(list(settings.allow_egress)))
        runtime.metrics = metrics
        app.state.runtime = runtime
        background = Workers(runtime)
        if workers:
            background.start()
        try:
            yield
        finally:
            await background.stop()
            await runtime.http.aclose()
            if storage is None:
                await store.close()

    ops = operations()
    # the visitors' routes are matched first: they take nearly every request
    from flowctl.server.routes_chat import OPERATIONS as visitors

    by_traffic = sorted(ops, key=lambda op: op not in visitors)
    routes = [Route(op.path, _endpoint(op), methods=[op.method], name=op.name)
              for op in by_traffic]

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        code = "method_not_allowed" if status == 405 else "not_found"
        headers = None
        if status == 405:  # RFC 9110: Allow lists the methods the path takes (all its routes)
            methods = {method for route in request.app.router.routes
                       if route.matches(request.scope)[0] is not Match.NONE
                       for method in (getattr(route, "methods", None) or ())}
            headers = {"Allow": ", ".join(sorted(methods))}
        return json_response(status, {"error": {"code": code, "message":
                                                 "no such route" if status == 404 else
                                                 "this route does not take that method"}},
                             headers=headers)

    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={404: not_found, 405: not_found})
    app.state.metrics = metrics
    app.state.openapi = openapi(ops, __version__)
    if settings.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type", "Idempotency-Key",
                                          "Last-Event-ID"], max_age=600)
    app.add_middleware(Observe, metrics=metrics)
    return app
