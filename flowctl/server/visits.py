"""Visitors and events: who the visitor is, and whether an event starts a flow.

The context of the flow format is built here: the widget's ``page``, ``visitor`` and
``device`` (the user agent parsed by the engine), ``agents`` from presence, ``now`` from the
server's clock.  Identity (``visitor.identified``, ``id``, ``attributes``) is trusted only with
a valid HMAC signature under the project's identity secret.  The decision is the
simulator's: ``Engine.select``, with ``once`` policies read from the stored start history.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from flowctl.engine import Ports, StartHistory
from flowctl.server import auth
from flowctl.server.compiled import CompiledRevision
from flowctl.server.errors import ApiError
from flowctl.server.messages import start_answer
from flowctl.server.runtime import Runtime
from flowctl.server.storage.records import ConversationRow
from flowctl.server.storage.sql import Tx
from flowctl.server.turns import commit_step, conversation_view, messages_of, rfc3339


async def create_visitor(runtime: Runtime, project: str) -> dict[str, Any]:
    async with runtime.storage.read() as tx:
        if await tx.project(project) is None:
            raise ApiError(404, "not_found", f"nothing is published for project '{project}'")
    visitor_id = auth.new_id("v_")
    token = auth.new_token("fv_")
    async with runtime.storage.transaction() as tx:
        await tx.add_visitor(visitor_id, project, auth.token_hash(token), rfc3339(runtime.now()))
    return {"visitor_id": visitor_id, "visitor_token": token}


def identity_secret(runtime: Runtime, project: str, config: Any = None) -> str | None:
    """``FLOWCTL_IDENTITY_SECRET_<PROJECT>``, else the variable ``identity_secret: ${NAME}``
    of flowctl.yaml names, from the server's environment."""
    env = runtime.env if runtime.env is not None else os.environ
    variable = "FLOWCTL_IDENTITY_SECRET_" + re.sub(r"[^A-Z0-9]", "_", project.upper())
    if env.get(variable):
        return env[variable]
    reference = getattr(getattr(config, "identity_secret", None), "source", None)
    found = re.fullmatch(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", reference or "")
    return (env.get(found.group(1)) or None) if found else None


def build_context(runtime: Runtime, project: str, body: dict[str, Any],
                  config: Any = None) -> dict[str, Any]:
    """The flow format's context from an events request (identity checked)."""
    context = body.get("context") or {}
    visitor = dict(context.get("visitor") or {})
    for key in ("identified", "id", "attributes"):
        visitor.pop(key, None)  # only a signed identity may set these
    identity = body.get("identity")
    if identity:
        attributes = identity.get("attributes") or {}
        if auth.identity_verified(identity_secret(runtime, project, config), str(identity.get("id")),
                                  attributes, identity.get("signature")):
            visitor.update(identified=True, id=str(identity["id"]), attributes=attributes)
    visitor.setdefault("identified", False)
    return {"event": dict(body["event"]), "page": dict(context.get("page") or {}),
            "visitor": visitor, "device": dict(context.get("device") or {})}


async def handle_event(runtime: Runtime, project: str, visitor_token: str | None,
                       body: dict[str, Any], admin: bool) -> tuple[int, dict[str, Any]]:
    async with runtime.storage.read() as tx:
        visitor = await tx.visitor_by_token(project, auth.token_hash(visitor_token or ""))
    if visitor is None:
        raise ApiError(401, "unauthorized", "a visitor token of this project is needed "
                       "(POST /v1/projects/{project}/visitors makes one)")
    event = {"type": "", "name": "", "message": "", "data": {}, **body["event"]}
    body = {**body, "event": event}
    async with runtime.storage.transaction() as tx:
        open_id = await tx.open_conversation(project, visitor.id)
        if open_id is not None:
            return 200, {"started": False, "open_conversation": open_id}
        state = await tx.project(project)
        if state is None:
            raise ApiError(404, "not_found", f"nothing is published for project '{project}'")
        compiled = await runtime.revisions.get(tx, project, state.active_revision)
        presence = await runtime.presence(tx, project)
        ports = runtime.ports(compiled, presence)
        context = build_context(runtime, project, body, compiled.project.config)
        last = await tx.last_conversation(project, visitor.id)
        if last is not None:  # `chat` of an event is the chat it happened in: the last one
            context["chat"] = {"id": last.id, "started_at": last.started_at, "tags": last.tags,
                               "messages": int(last.state.get("messages") or 0)}
        history = StartHistory(by_visitor=await tx.started_flows(project, visitor.id))
        decision = compiled.engine.select(event, context, ports, history)
        if decision.flow is None:
            answer: dict[str, Any] = {"started": False}
            if admin:
                answer["reasons"] = decision.reasons
            return 200, answer
        context["chat"] = {}  # the new chat's own (the last one decided the start only)
        started = await begin(runtime, tx, compiled, project, state.active_revision, visitor.id,
                              decision.flow.id, context, ports)
    return 201, await finish(runtime, started)


@dataclass
class Started:
    """A conversation just started in a transaction, its answer still to complete."""

    answer: dict[str, Any]
    pending: str | None


async def begin(runtime: Runtime, tx: Tx, compiled: CompiledRevision, project: str,
                revision: int, visitor_id: str | None, flow_id: str, context: dict[str, Any],
                ports: Ports) -> Started:
    """Store a new conversation of ``flow_id`` and run it to its first wait, in ``tx``."""
    now = runtime.now()
    at = rfc3339(now)
    conversation_id = auth.new_id("c_")
    token = auth.new_token("fc_")
    context["chat"] = {**dict(context.get("chat") or {}), "id": conversation_id, "started_at": at}
    row = ConversationRow(conversation_id, project, revision, visitor_id, auth.token_hash(token),
                          flow_id, "running", None, {}, context, 0, 0, at, at)
    await tx.add_conversation(row, now.timestamp())
    if visitor_id is not None:
        await tx.record_start(project, visitor_id, flow_id, at)
    step = compiled.engine.start(flow_id, context, ports, conversation_id=conversation_id)
    events = await commit_step(tx, row, step, compiled.engine, now)
    return Started({"started": True, "conversation": conversation_view(row, compiled.engine, step.state),
                    "token": token, "messages": messages_of(events), "seq": row.seq},
                   step.pending.key if step.pending else None)


async def finish(runtime: Runtime, started: Started) -> dict[str, Any]:
    """After the commit: wake the streams, and wait inline for a first call."""
    runtime.notifier.notify(started.answer["conversation"]["id"])
    return await start_answer(runtime, started.answer, started.pending)


