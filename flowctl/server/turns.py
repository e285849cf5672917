"""Committing an engine step: the events it adds to the conversation's log, the row it
updates, its timer, its outgoing calls and its handoff, all in the caller's transaction.

Every change of a conversation goes through :func:`commit_step`, so the visitor's message,
the state change, the bot messages and any outgoing calls commit together, and the log
numbers (``seq``) have no gaps and no repeats.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flowctl.engine import Awaiting, Conversation, Engine, HandoffRequested, Step
from flowctl.server.storage.records import ConversationRow, Event, Handoff, OutboxRow
from flowctl.server.storage.sql import Tx


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def input_view(awaiting: Awaiting | None) -> dict[str, Any] | None:
    if awaiting is None:
        return None
    return {"id": awaiting.id, "block": awaiting.block, "kind": str(awaiting.kind),
            "choices": list(awaiting.choices), "fields": [f.to_json() for f in awaiting.fields],
            "expires_at": rfc3339(awaiting.expires_at) if awaiting.expires_at else None}


def conversation_view(row: ConversationRow, engine: Engine | None,
                      state: Conversation | None = None) -> dict[str, Any]:
    """``<conversation>`` of the runtime API (``state``: the row's, when already read)."""
    state = state if state is not None else Conversation.from_json(row.state)
    awaiting = engine.awaiting(state) if engine is not None else None
    return {"id": row.id, "project": row.project, "flow": row.flow, "revision": row.revision,
            "status": row.status, "waiting_for": row.waiting_for, "input": input_view(awaiting),
            "outcome": row.outcome, "tags": list(row.tags), "started_at": row.started_at}


def visitor_message(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """What the visitor sent, as a message of the transcript."""
    if kind == "text":
        return {"type": "text", "text": payload["text"]}
    if kind == "choice":
        return {"type": "choice", "label": payload.get("label") or payload.get("value")}
    return {"type": "form", "values": payload.get("values", {})}


def new_event(row: ConversationRow, at: str, kind: str, sender: str,
              body: dict[str, Any]) -> Event:
    row.seq += 1
    return Event(row.id, row.seq, at, kind, sender, body)


async def commit_step(tx: Tx, row: ConversationRow, step: Step, engine: Engine, now: datetime,
                      before: list[Event] | None = None) -> list[Event]:
    """Write ``step`` (and the events in ``before``, e.g. the visitor's message) into the
    conversation ``row`` read with a lock in ``tx``; return every event added."""
    at = rfc3339(now)
    events = list(before or [])
    state = step.state
    before_state = row.state
    status_before = (row.status, row.waiting_for, row.outcome)
    for message in step.messages:
        if message.delay:  # the widget shows "typing" for that long before the message
            events.append(new_event(row, at, "typing", "bot", {"seconds": message.delay,
                                                                "block": message.block}))
        events.append(new_event(row, at, "message", "bot", message.to_json()))
    awaiting = engine.awaiting(state)
    if awaiting is not None and awaiting.id and awaiting.id != (row.state or {}).get("input_id"):
        events.append(new_event(row, at, "input", "system", input_view(awaiting) or {}))
    row.state = state.to_json()
    row.flow = state.flow
    row.status = str(state.status)
    row.waiting_for = str(state.waiting_for) if state.waiting_for else None
    row.outcome = state.outcome if state.ended else None
    row.tags = list(state.tags)
    escalated = any(isinstance(e, HandoffRequested) for e in step.log)
    if (row.status, row.waiting_for, row.outcome) != status_before or escalated:
        body: dict[str, Any] = {"status": "escalated" if escalated else row.status,
                                "waiting_for": row.waiting_for, "outcome": row.outcome}
        if escalated:
            body["department"] = state.department
        events.append(new_event(row, at, "status", "system", body))
    row.version += 1
    row.updated_at = at
    epoch = now.timestamp()
    await tx.add_events(events)
    await tx.save_conversation(row, epoch)
    wake = step.wake_at
    if wake is not None or (before_state or {}).get("expires_at"):  # else there is no timer
        await tx.set_timer(row.id, state.input_id if wake else None,
                           wake.timestamp() if wake else None)
    for call in step.calls:
        await tx.add_outbox(OutboxRow(call.key, row.id, call.to_json(), 0, 0.0, "pending",
                                      call.awaited), at)
    for effect in step.log:
        if isinstance(effect, HandoffRequested):
            await tx.add_handoff(Handoff(row.id, row.project, effect.department, effect.priority,
                                         effect.note, "queued", at), epoch)
    return events


def messages_of(events: list[Event]) -> list[dict[str, Any]]:
    """The bot messages among ``events``, in order."""
    return [e.body for e in events if e.kind == "message" and e.sender == "bot"]
