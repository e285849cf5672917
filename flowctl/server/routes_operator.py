"""The operator's proactive start (admin token): a named flow for a visitor."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from flowctl.server import proactive
from flowctl.server.api import Operation, error_responses, json_response, read_json, validate
from flowctl.server.runtime import Runtime
from flowctl.server.schemas import ref
from flowctl.server.settings import MAX_BODY


async def _start(request: Request, runtime: Runtime) -> Response:
    body = await read_json(request, MAX_BODY)
    validate("StartRequest", body)
    answer = await proactive.start_flow(runtime, request.path_params["project"], body)
    return json_response(201, answer)


OPERATIONS = [
    Operation("POST", "/v1/projects/{project}/conversations", "start_conversation",
              "Start a named flow (operator)", _start, auth="admin", body="StartRequest",
              description="Starts `flow` whatever its start condition says, with the context "
              "given (trusted: identity included). For proactive messages and for running a "
              "flow only `goto` reaches. The answer is an event's: the conversation, its token "
              "(hand it to the widget) and the first messages.",
              responses={201: ("The flow started.", ref("EventAnswer")),
                         **error_responses(400, 401, 404, 409, 413, 422)}),
]
