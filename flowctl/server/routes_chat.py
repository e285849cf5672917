"""The widget's routes: visitors, events that may start a flow, and conversations (their
messages, transcript, event catch-up and server-sent events stream)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from flowctl.server import auth, messages, visits
from flowctl.server.api import Operation, error_responses, json_response, read_json, validate
from flowctl.server.errors import ApiError
from flowctl.server.runtime import Runtime
from flowctl.server.schemas import MAX_INT, TEXT, ref
from flowctl.server.settings import MAX_BODY

#: Seconds between keep-alive comments on a quiet stream, and between re-reads of the log
#: (the re-read finds what other processes wrote).
KEEPALIVE = 15.0
POLL = 1.0


def _token(request: Request, *, query: bool = False) -> str | None:
    token = auth.bearer(request.headers.get("authorization"))
    if token is None and query:
        token = request.query_params.get("token")
    return token


async def _visitor(request: Request, runtime: Runtime) -> Response:
    return json_response(201, await visits.create_visitor(runtime, request.path_params["project"]))


async def _event(request: Request, runtime: Runtime) -> Response:
    body = await read_json(request, MAX_BODY)
    validate("EventRequest", body)
    admin = request.headers.get("x-admin-token")
    is_admin = bool(admin) and auth.same(admin, auth.token_hash(runtime.admin_token))
    status, answer = await visits.handle_event(runtime, request.path_params["project"],
                                               _token(request), body, is_admin)
    return json_response(status, answer)


async def _message(request: Request, runtime: Runtime) -> Response:
    key = request.headers.get("idempotency-key")
    if key is None or not 1 <= len(key) <= 255 or "\x00" in key:
        raise ApiError(400, "idempotency_key_required",
                       "send an Idempotency-Key header of 1 to 255 characters (no U+0000)")
    conversation_id = request.path_params["id"]
    unreadable: ApiError | None = None
    try:
        body = await read_json(request, MAX_BODY)
    except ApiError as error:  # said only to a caller whose token is good (else: 404)
        body, unreadable = None, error

    def check(value: object) -> None:
        if unreadable is not None:
            raise unreadable
        validate("MessageRequest", value)

    status, answer = await messages.post_message(runtime, conversation_id, _token(request), key,
                                                 body, check)
    return json_response(status, answer)


async def _conversation(request: Request, runtime: Runtime) -> Response:
    return json_response(200, await messages.conversation_with_transcript(
        runtime, request.path_params["id"], _token(request, query=True)))


def _after(request: Request, *, last_event_id: bool = False) -> int:
    """``after`` (checked against its schema), else (for the stream) the Last-Event-ID
    header, else 0."""
    after = request.state.query.get("after")
    if after is not None:
        return int(after)
    raw = (request.headers.get("last-event-id") if last_event_id else None) or "0"
    if not (raw.isascii() and raw.isdigit() and int(raw) <= MAX_INT):
        raise ApiError(422, "invalid_query", f"Last-Event-ID is a whole number from 0 to {MAX_INT}")
    return int(raw)


async def _events(request: Request, runtime: Runtime) -> Response:
    conversation_id = request.path_params["id"]
    await messages.authorised(runtime, conversation_id, _token(request, query=True))
    after = _after(request)
    async with runtime.storage.read() as tx:
        events = await tx.events(conversation_id, after)
    return json_response(200, {"events": [messages.event_view(e) for e in events],
                               "seq": events[-1].seq if events else after})


async def _stream(request: Request, runtime: Runtime) -> Response:
    conversation_id = request.path_params["id"]
    await messages.authorised(runtime, conversation_id, _token(request, query=True))
    after = _after(request, last_event_id=True)

    async def lines() -> AsyncIterator[str]:
        last = after
        quiet = 0.0
        yield "retry: 2000\n\n"
        while True:
            async with runtime.storage.read() as tx:
                events = await tx.events(conversation_id, last, limit=500)
            for event in events:
                last = event.seq
                data = json.dumps(messages.event_view(event), ensure_ascii=False)
                yield f"id: {event.seq}\nevent: {event.kind}\ndata: {data}\n\n"
            if events:
                quiet = 0.0
                continue
            if await request.is_disconnected():
                return
            await runtime.notifier.wait(conversation_id, POLL)
            quiet += POLL
            if quiet >= KEEPALIVE:
                quiet = 0.0
                yield ": keep-alive\n\n"
            await asyncio.sleep(0)

    return StreamingResponse(lines(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


CONVERSATION = "/v1/conversations/{id}"
AFTER_QUERY = {"after": {"type": "integer", "minimum": 0, "maximum": MAX_INT,
                         "description": "the last sequence number the client has (default: the "
                         "Last-Event-ID header, else 0)"}}
TOKEN_QUERY = {"token": {"type": "string", "description": "the conversation token, for "
                         "clients that cannot send headers (EventSource)"}}

OPERATIONS = [
    Operation("POST", "/v1/projects/{project}/visitors", "create_visitor",
              "Register a visitor (no credential)", _visitor,
              responses={201: ("The visitor's id and token: keep both.", ref("Visitor")),
                         **error_responses(404)}),
    Operation("POST", "/v1/projects/{project}/events", "event",
              "An event of the visitor; it may start a flow", _event, auth="visitor",
              body="EventRequest",
              headers={"X-Admin-Token": {"type": "string", "description": "with the admin "
                                         "token, a 200 says why each flow did not start"}},
              description="Start selection is the simulator's. While the visitor has an open "
              "conversation, no other flow starts.",
              responses={201: ("A flow started.", ref("EventAnswer")),
                         200: ("No flow started.", ref("EventAnswer")),
                         **error_responses(400, 401, 404, 413, 422)}),
    Operation("POST", CONVERSATION + "/messages", "send_message",
              "The visitor's message to a conversation", _message, auth="conversation",
              body="MessageRequest",
              headers={"Idempotency-Key": {**TEXT, "minLength": 1, "maxLength": 255,
                                           "x-required": True}},
              description="Applied once per Idempotency-Key: the same key and body replay the "
              "first answer; another body is a 422; a key still in progress a 409.",
              responses={200: ("What the bot answered.", ref("Turn")),
                         **error_responses(400, 404, 409, 413, 422)}),
    Operation("GET", CONVERSATION, "conversation", "The conversation and its transcript",
              _conversation, auth="conversation", query=TOKEN_QUERY,
              responses={200: ("The conversation.", ref("Conversation")),
                         **error_responses(404)}),
    Operation("GET", CONVERSATION + "/events", "events", "Events after a sequence number",
              _events, auth="conversation",
              query={**AFTER_QUERY, **TOKEN_QUERY},
              responses={200: ("The events, in order.", ref("Events")),
                         **error_responses(404, 422)}),
    Operation("GET", CONVERSATION + "/stream", "stream", "Server-sent events", _stream,
              auth="conversation", query={**AFTER_QUERY, **TOKEN_QUERY},
              content="text/event-stream",
              headers={"Last-Event-ID": {"type": "string", "pattern": "^[0-9]+$",
                                         "description": "what EventSource sends on a "
                                         "reconnect: as `after` (which wins), at most "
                                         f"{MAX_INT}"}},
              description="Every event has `id: <seq>`; reconnecting with Last-Event-ID "
              "resumes with no gap and no duplicate.",
              responses={200: ("A stream of events.", {"type": "string"}),
                         **error_responses(404, 422)}),
]
