"""Starting a named flow for a visitor on the operator's word (admin token): proactive
messages from a back office, and a way to run a flow whose start condition does not hold
(a flow reached only by ``goto``, or testing a flow in production).  The context is trusted
as given: identity included, since only the admin token reaches this."""

from __future__ import annotations

from typing import Any

from flowctl.engine import FlowError
from flowctl.server import auth
from flowctl.server.errors import ApiError
from flowctl.server.runtime import Runtime
from flowctl.server.storage.records import ConversationRow
from flowctl.server.turns import commit_step, conversation_view, messages_of, rfc3339


async def start_flow(runtime: Runtime, project: str, body: dict[str, Any]) -> dict[str, Any]:
    flow_id = body["flow"]
    context = {key: dict(body.get("context", {}).get(key) or {})
               for key in ("page", "visitor", "device")}
    context["event"] = {"type": "", "name": "", "message": "", "data": {},
                        **(body.get("event") or {})}
    async with runtime.storage.transaction() as tx:
        state = await tx.project(project)
        if state is None:
            raise ApiError(404, "not_found", f"nothing is published for project '{project}'")
        visitor_id = body.get("visitor_id")
        if visitor_id is not None:
            open_id = await tx.open_conversation(project, visitor_id)
            if open_id is not None:
                raise ApiError(409, "open_conversation", "the visitor has an open conversation",
                               conversation_id=open_id)
        compiled = await runtime.revisions.get(tx, project, state.active_revision)
        try:
            compiled.engine.flow(flow_id)
        except FlowError:
            raise ApiError(422, "unknown_flow", f"revision {state.active_revision} has no flow "
                           f"'{flow_id}'") from None
        now = runtime.now()
        at = rfc3339(now)
        conversation_id = auth.new_id("c_")
        token = auth.new_token("fc_")
        context["chat"] = {**dict(body.get("context", {}).get("chat") or {}),
                           "id": conversation_id, "started_at": at}
        row = ConversationRow(conversation_id, project, state.active_revision, visitor_id,
                              auth.token_hash(token), flow_id, "running", None, {}, context, 0, 0,
                              at, at)
        await tx.add_conversation(row, now.timestamp())
        if visitor_id is not None:
            await tx.record_start(project, visitor_id, flow_id, at)
        ports = runtime.ports(compiled, await runtime.presence(tx, project))
        step = compiled.engine.start(flow_id, context, ports, conversation_id=conversation_id)
        events = await commit_step(tx, row, step, compiled.engine, now)
        view = conversation_view(row, compiled.engine, step.state)
    runtime.notifier.notify(conversation_id)
    return {"started": True, "conversation": view, "token": token,
            "messages": messages_of(events), "seq": row.seq}
