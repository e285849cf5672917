"""A visitor's messages to a conversation, and what it can read back.

A message is applied in one transaction under the conversation's lock: its idempotency
record, the visitor's message, the state change, the bot messages and any outgoing calls
commit together, so messages to one conversation apply one at a time in arrival order
across processes, none lost and none applied twice.  The same ``Idempotency-Key`` with the
same body replays the first answer (even after a restart); with another body it is a 422;
while the first is still being processed (an inline call under way) a 409.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from flowctl.engine import Click, Conversation, Input, Say, SubmitForm
from flowctl.server import auth
from flowctl.server.delivery import deliver_inline
from flowctl.server.errors import ApiError, not_found
from flowctl.server.runtime import Runtime
from flowctl.server.storage.records import ConversationRow, IdempotencyRecord
from flowctl.server.turns import (
    commit_step,
    conversation_view,
    messages_of,
    new_event,
    rfc3339,
    visitor_message,
)

#: Seconds beyond the inline wait after which a record still "processing" is served as it
#: stands: its request died (the visitor's connection or the process) after committing the
#: message, and its call goes on in the worker.
PROCESSING_MARGIN = 5.0


def request_hash(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _input_of(body: dict[str, Any]) -> Input:
    kind = body["type"]
    if kind == "text":
        return Say(body["text"])
    if kind == "choice":
        return Click(str(body.get("label") if body.get("label") is not None else body.get("value")))
    return SubmitForm(dict(body.get("values") or {}))


async def authorised(runtime: Runtime, conversation_id: str, token: str | None) -> ConversationRow:
    async with runtime.storage.read() as tx:
        row = await tx.conversation(conversation_id)
    if row is None or not auth.same(token, row.token_hash):
        raise not_found()
    return row


async def post_message(runtime: Runtime, conversation_id: str, token: str | None, key: str,
                       body: dict[str, Any], check: Callable[[Any], None] | None = None,
                       ) -> tuple[int, dict[str, Any]]:
    """Apply one message; ``check`` validates the body once the token is known to be good
    (a wrong token is a 404 whatever the body)."""
    digest = request_hash(body)
    async with runtime.storage.transaction() as tx:
        row, record = await tx.conversation_for_message(conversation_id, key)
        if row is None or not auth.same(token, row.token_hash):
            raise not_found()
        if check is not None:
            check(body)
        if record is not None:
            if record.request_hash != digest:
                raise ApiError(422, "idempotency_key_reused", "this Idempotency-Key was used "
                               "with another body for this conversation")
            window = runtime.settings.inline_wait + PROCESSING_MARGIN
            if record.status == "processing" and time.time() - record.created_at < window:
                raise ApiError(409, "in_progress", "a message with this Idempotency-Key is "
                               "still being processed; retry in a moment")
            return record.response_status, record.response
        compiled = await runtime.revisions.get(tx, row.project, row.revision)
        state = Conversation.from_json(row.state)
        if row.status == "ended":
            raise ApiError(409, "conversation_ended", "the conversation has ended",
                           conversation=conversation_view(row, compiled.engine))
        reply_to = body.get("in_reply_to")
        if reply_to is not None and reply_to != state.input_id:
            raise ApiError(409, "not_awaited", f"input {reply_to!r} is no longer awaited",
                           conversation=conversation_view(row, compiled.engine))
        now = runtime.now()
        ports = runtime.ports(compiled, await runtime.presence(tx, row.project))
        step = compiled.engine.handle(state, _input_of(body), row.context, ports)
        if not step.accepted:
            waiting = row.waiting_for or "nothing"
            raise ApiError(409, "not_awaited", f"the conversation waits for {waiting}, not for "
                           f"a {body['type']} message",
                           conversation=conversation_view(row, compiled.engine))
        said = new_event(row, rfc3339(now), "message", "visitor", visitor_message(body["type"], body))
        events = await commit_step(tx, row, step, compiled.engine, now, [said])
        # the key stays "processing" only while this request waits for the call inline
        inline = step.pending is not None and runtime.settings.inline_wait > 0
        answer = {"conversation": conversation_view(row, compiled.engine, step.state),
                  "messages": messages_of(events), "seq": row.seq}
        await tx.put_idempotency(IdempotencyRecord(
            conversation_id, key, digest, "processing" if inline else "done", 200, answer,
            time.time()))
    runtime.notifier.notify(conversation_id)
    if inline:
        assert step.pending is not None
        answer = await _after_call(runtime, conversation_id, key, digest, step.pending.key,
                                   said.seq)
    return 200, answer


async def _after_call(runtime: Runtime, conversation_id: str, key: str, digest: str,
                      call_key: str, first_seq: int) -> dict[str, Any]:
    """The answer of a message whose call was awaited: what followed it, after waiting up to
    the inline wait; the idempotency record is done with that answer."""
    answer = await _turn_after_call(runtime, conversation_id, call_key, first_seq)
    async with runtime.storage.transaction() as tx:
        record = await tx.idempotency(conversation_id, key)
        created = record.created_at if record else time.time()
        await tx.put_idempotency(IdempotencyRecord(conversation_id, key, digest, "done", 200,
                                                   answer, created))
    return answer


async def _turn_after_call(runtime: Runtime, conversation_id: str, call_key: str,
                           first_seq: int) -> dict[str, Any]:
    """Deliver the awaited call ``call_key`` inline, then the conversation and the bot
    messages logged after ``first_seq``."""
    await deliver_inline(runtime, conversation_id, call_key, runtime.settings.inline_wait)
    async with runtime.storage.read() as tx:
        row = await tx.conversation(conversation_id)
        if row is None:
            raise not_found()
        compiled = await runtime.revisions.get(tx, row.project, row.revision)
        events = await tx.events(conversation_id, first_seq)
    return {"conversation": conversation_view(row, compiled.engine),
            "messages": messages_of(events), "seq": row.seq}


async def start_answer(runtime: Runtime, answer: dict[str, Any], pending: str | None) -> dict[str, Any]:
    """The answer of an event that started a flow, completed like a message's when the
    flow's first blocks wait for the call ``pending``."""
    if pending is None or runtime.settings.inline_wait <= 0:
        return answer
    return {**answer, **await _turn_after_call(runtime, answer["conversation"]["id"], pending, 0)}


async def conversation_with_transcript(runtime: Runtime, conversation_id: str,
                                       token: str | None) -> dict[str, Any]:
    row = await authorised(runtime, conversation_id, token)
    async with runtime.storage.read() as tx:
        compiled = await runtime.revisions.get(tx, row.project, row.revision)
        events = await tx.events(conversation_id, 0, limit=100_000, kind="message")
    view = conversation_view(row, compiled.engine)
    view["transcript"] = [{"seq": e.seq, "at": e.at, "from": e.sender, "message": e.body}
                          for e in events]
    return view


def event_view(event: Any) -> dict[str, Any]:
    return {"seq": event.seq, "at": event.at, "type": event.kind, "from": event.sender,
            "data": event.body}
