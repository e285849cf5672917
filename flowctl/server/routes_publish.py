"""The operator's routes (admin token): publishing, revisions, rollback, agents, handoffs."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from flowctl.server import publishing
from flowctl.server.api import Operation, error_responses, json_response, read_json, validate
from flowctl.server.runtime import Runtime
from flowctl.server.schemas import ref
from flowctl.server.settings import MAX_BODY, MAX_BUNDLE_BODY


async def _publish(request: Request, runtime: Runtime) -> Response:
    body = await read_json(request, MAX_BUNDLE_BODY)
    validate("PublishRequest", body)
    dry_run = bool(request.state.query.get("dry_run", False))
    status, answer = await publishing.publish(
        runtime, request.path_params["project"], body["files"], body.get("message", ""),
        body.get("source") or {}, dry_run)
    return json_response(status, answer)


async def _project(request: Request, runtime: Runtime) -> Response:
    return json_response(200, await publishing.project_info(runtime, request.path_params["project"]))


async def _revisions(request: Request, runtime: Runtime) -> Response:
    return json_response(200, await publishing.list_revisions(runtime, request.path_params["project"]))


async def _revision(request: Request, runtime: Runtime) -> Response:
    return json_response(200, await publishing.get_revision(
        runtime, request.path_params["project"], request.path_params["number"]))


async def _rollback(request: Request, runtime: Runtime) -> Response:
    body = await read_json(request, MAX_BODY)
    validate("RollbackRequest", body)
    return json_response(200, await publishing.rollback(runtime, request.path_params["project"],
                                                        int(body["to"])))


async def _agents(request: Request, runtime: Runtime) -> Response:
    body = await read_json(request, MAX_BODY)
    validate("Agents", body)
    project = request.path_params["project"]
    async with runtime.storage.transaction() as tx:
        await tx.set_presence(project, {str(k): int(v) for k, v in body["departments"].items()})
        departments = await tx.presence(project)
    runtime.forget_presence(project)
    return json_response(200, {"departments": departments})


async def _handoffs(request: Request, runtime: Runtime) -> Response:
    status = request.state.query.get("status")  # checked against the declared enum
    async with runtime.storage.read() as tx:
        rows = await tx.handoffs(request.path_params["project"], status)
    now = runtime.now().timestamp()
    items: list[dict[str, Any]] = [
        {"conversation": h.conversation_id, "department": h.department, "priority": h.priority,
         "note": h.note, "status": h.status, "queued_at": h.queued_at,
         "waiting_seconds": round(max(now - epoch, 0.0), 3)} for h, epoch in rows]
    return json_response(200, {"handoffs": items})


PROJECT = "/v1/projects/{project}"

OPERATIONS = [
    Operation("POST", PROJECT + "/revisions", "publish", "Publish a bundle as a new revision",
              _publish, auth="admin", body="PublishRequest", max_body=MAX_BUNDLE_BODY,
              query={"dry_run": {"type": "boolean", "description": "`true`: answer the plan, store "
                                 "nothing"}},
              description="The server lints the bundle with the same code as `flowctl lint`; "
              "errors are a 422 with the problems. A bundle equal to the active revision is a "
              "no-op (200).",
              responses={201: ("A new revision, now active.", ref("PublishAnswer")),
                         200: ("Nothing changed, or the plan of a dry run.", ref("PublishAnswer")),
                         **error_responses(400, 401, 413, 422)}),
    Operation("GET", PROJECT, "project", "The deployed revision and its flows' hashes", _project,
              auth="admin", responses={200: ("The active revision.", ref("Project")),
                                       **error_responses(401, 404)}),
    Operation("GET", PROJECT + "/revisions", "revisions", "Every revision, newest first",
              _revisions, auth="admin",
              responses={200: ("The revisions.", ref("Revisions")), **error_responses(401)}),
    Operation("GET", PROJECT + "/revisions/{number:int}", "revision", "One revision with its files",
              _revision, auth="admin",
              responses={200: ("The revision.", ref("Revision")), **error_responses(401, 404)}),
    Operation("POST", PROJECT + "/rollback", "rollback", "Make an earlier revision active again",
              _rollback, auth="admin", body="RollbackRequest",
              responses={200: ("The revision now active.", ref("RollbackAnswer")),
                         **error_responses(400, 401, 409, 413, 422)}),
    Operation("PUT", PROJECT + "/agents", "set_agents", "Set the agents online per department",
              _agents, auth="admin", body="Agents",
              responses={200: ("Presence as stored.", ref("Agents")),
                         **error_responses(400, 401, 413, 422)}),
    Operation("GET", PROJECT + "/handoffs", "handoffs", "Escalated conversations", _handoffs,
              auth="admin", query={"status": {"enum": ["queued", "taken"]}},
              responses={200: ("Handoffs, oldest first.", ref("Handoffs")),
                         **error_responses(401, 422)}),
]
