"""Operations routes: liveness, readiness, metrics and the OpenAPI document."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from flowctl.server.api import Operation, json_response
from flowctl.server.runtime import Runtime
from flowctl.server.schemas import ref


async def _healthz(request: Request, runtime: Runtime) -> Response:
    return json_response(200, {"status": "ok"})


async def _readyz(request: Request, runtime: Runtime) -> Response:
    from flowctl.server.storage.migrations import LATEST

    try:
        version = await runtime.storage.schema_version()
    except Exception:
        version = 0
    ready = version >= LATEST
    return json_response(200 if ready else 503, {
        "status": "ready" if ready else "not ready", "schema": version,
        "database": runtime.storage.describe})


async def _metrics(request: Request, runtime: Runtime) -> Response:
    metrics = request.app.state.metrics
    async with runtime.storage.read() as tx:
        metrics.outbox.set(await tx.pending_outbox())
    body, kind = metrics.render()
    return Response(body, media_type=kind)


async def _openapi(request: Request, runtime: Runtime) -> Response:
    return json_response(200, request.app.state.openapi)


OPERATIONS = [
    Operation("GET", "/healthz", "healthz", "The process is up", _healthz,
              responses={200: ("Up.", ref("Health"))}),
    Operation("GET", "/readyz", "readyz", "Storage reachable and migrations applied", _readyz,
              responses={200: ("Ready.", ref("Health")), 503: ("Not ready.", ref("Health"))}),
    Operation("GET", "/metrics", "metrics", "Prometheus metrics of this process", _metrics,
              content="text/plain", responses={200: ("Prometheus text format.", {"type": "string"})}),
    Operation("GET", "/openapi.json", "openapi", "This document", _openapi,
              responses={200: ("OpenAPI 3.1.", {"type": "object"})}),
]
