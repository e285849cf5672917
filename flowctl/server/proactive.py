"""Starting a named flow for a visitor on the operator's word (admin token): proactive
messages from a back office, and a way to run a flow whose start condition does not hold
(a flow reached only by ``goto``, or testing a flow in production).  The context is trusted
as given: identity included, since only the admin token reaches this."""

from __future__ import annotations

from typing import Any

from flowctl.engine import FlowError
from flowctl.server.errors import ApiError
from flowctl.server.runtime import Runtime
from flowctl.server.visits import begin, finish


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
        context["chat"] = dict(body.get("context", {}).get("chat") or {})
        ports = runtime.ports(compiled, await runtime.presence(tx, project))
        started = await begin(runtime, tx, compiled, project, state.active_revision, visitor_id,
                              flow_id, context, ports)
    return await finish(runtime, started)
