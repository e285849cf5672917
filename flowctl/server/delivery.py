"""Work that happens after a turn: outgoing calls, timeouts, and idle conversations.

* **Calls.**  Each outbox row is claimed with a lease (``FLOWCTL_LEASE_SECONDS``, 30 s), so
  one process sends it at a time; each attempt runs on its own (the worker claims more while
  a slow endpoint keeps one busy: it holds up nothing else); an attempt goes through the egress guard with
  the call's idempotency key; the engine's :func:`~flowctl.engine.next_attempt` says when to
  try again.  The final answer of an awaited call is fed to the conversation in the same
  transaction that closes the row, so it is applied exactly once even when a process dies
  and another takes the row over.
* **Timeouts.**  A due timer is claimed likewise; it fires only if the conversation still
  waits for the same input and its time has come, under the conversation's lock, so a
  reply and a timeout racing for one input: exactly one wins.
* **Idle conversations** end with outcome ``abandoned`` after ``conversation_ttl``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from flowctl.engine import Call, Conversation, Elapse, Responded, Response, next_attempt
from flowctl.server.runtime import Runtime
from flowctl.server.storage.records import OutboxRow
from flowctl.server.turns import commit_step, new_event, rfc3339

#: Seconds beyond a call's timeout that its row stays leased while an attempt runs.
LEASE_MARGIN = 5.0


async def send_call(runtime: Runtime, call: Call) -> Response:
    from flowctl.server.outgoing import send

    # only the names the endpoint's definition references: a "${...}" a visitor typed into a
    # value that reached the url or a header must never fetch a secret
    return await send(runtime.http, call, env=runtime.env)


async def claim_calls(runtime: Runtime, limit: int, key: str | None = None) -> list[OutboxRow]:
    """Lease up to ``limit`` due calls (or the one ``key`` names) to this process."""
    now = runtime.wall()
    async with runtime.storage.transaction() as tx:
        return await tx.claim_outbox(now, now + runtime.settings.lease, limit, key)


async def deliver(runtime: Runtime, key: str | None = None, limit: int = 20) -> int:
    """Claim due calls (or the one ``key`` names) and make one attempt of each, all at once;
    how many."""
    rows = await claim_calls(runtime, limit, key)
    failures = [outcome for outcome in
                await asyncio.gather(*(attempt(runtime, row) for row in rows),
                                     return_exceptions=True)
                if isinstance(outcome, BaseException)]
    if failures:
        raise failures[0]
    return len(rows)


async def attempt(runtime: Runtime, row: OutboxRow) -> None:
    """One attempt of the claimed call ``row``: sent, then retried later or settled."""
    call = Call.from_json(row.call)
    call = Call.from_json({**call.to_json(), "attempt": row.attempt + 1})
    if call.timeout + LEASE_MARGIN > runtime.settings.lease:
        # hold the row while the attempt may still run: never sent twice at once
        async with runtime.storage.transaction() as tx:
            await tx.extend_outbox_lease(row.key, runtime.wall() + call.timeout + LEASE_MARGIN)
    response = await send_call(runtime, call)
    if runtime.metrics is not None:
        outcome = response.error or ("ok" if response.ok else f"{response.status // 100}xx")
        runtime.metrics.calls.labels(call.endpoint, outcome).inc()
    delay = next_attempt(call, response)
    if delay is not None:
        async with runtime.storage.transaction() as tx:
            await tx.update_outbox(row.key, attempt=call.attempt, next_at=runtime.wall() + delay,
                                   status="pending", response=response.to_json(),
                                   at=rfc3339(runtime.now()))
        return
    await _settle(runtime, row.conversation_id, row.awaited, call, response)


async def _settle(runtime: Runtime, conversation_id: str, awaited: bool, call: Call,
                  response: Response) -> None:
    status = "done" if response.ok else "failed"
    async with runtime.storage.transaction() as tx:
        await tx.update_outbox(call.key, attempt=call.attempt, next_at=runtime.wall(), status=status,
                               response=response.to_json(), at=rfc3339(runtime.now()))
        if not awaited:
            return
        row = await tx.conversation(conversation_id, lock=True)
        if row is None:
            return
        state = Conversation.from_json(row.state)
        if state.pending is None or state.pending.get("key") != call.key:
            return  # already settled (or the conversation moved on)
        compiled = await runtime.revisions.get(tx, row.project, row.revision)
        ports = runtime.ports(compiled, await runtime.presence(tx, row.project))
        step = compiled.engine.handle(state, Responded(call.key, response, call.attempt),
                                      row.context, ports)
        if step.accepted:
            await commit_step(tx, row, step, compiled.engine, runtime.now())
    runtime.notifier.notify(conversation_id)


async def deliver_inline(runtime: Runtime, conversation_id: str, key: str, budget: float) -> None:
    """Deliver the call ``key`` now, in this request, for at most ``budget`` seconds; what is
    left (retries waiting, a slow endpoint) the worker finishes and the stream reports."""
    deadline = time.monotonic() + budget
    while time.monotonic() < deadline:
        async with runtime.storage.read() as tx:
            row = await tx.outbox(key)
        if row is None or row.status != "pending":
            return
        if row.next_at > runtime.wall():
            wait = row.next_at - runtime.wall()
            if wait > deadline - time.monotonic():
                return
            await runtime.notifier.wait(conversation_id, wait)
            continue
        if await deliver(runtime, key, 1) == 0:
            await runtime.notifier.wait(conversation_id, min(0.05, deadline - time.monotonic()))


async def fire_timers(runtime: Runtime, limit: int = 50) -> int:
    """Fire the timeouts that are due; how many timers were looked at."""
    now = runtime.now()
    epoch = now.timestamp()
    async with runtime.storage.transaction() as tx:
        timers = await tx.claim_timers(epoch, epoch + runtime.settings.lease, limit)
    for timer in timers:
        async with runtime.storage.transaction() as tx:
            row = await tx.conversation(timer.conversation_id, lock=True)
            if row is None:
                await tx.set_timer(timer.conversation_id, None, None)
                continue
            state = Conversation.from_json(row.state)
            compiled = await runtime.revisions.get(tx, row.project, row.revision)
            step = compiled.engine.handle(state, Elapse(), row.context,
                                          runtime.ports(compiled, await runtime.presence(tx, row.project)))
            if step.accepted and state.input_id == timer.input_id:
                await commit_step(tx, row, step, compiled.engine, now)
                if runtime.metrics is not None:
                    runtime.metrics.timers.inc()
            else:  # not due yet, or the input changed: the timer follows the state
                expires = state.expires_at
                from datetime import datetime

                await tx.set_timer(row.id, state.input_id if expires else None,
                                   datetime.fromisoformat(expires).timestamp() if expires else None)
        runtime.notifier.notify(timer.conversation_id)
    return len(timers)


async def abandon_idle(runtime: Runtime, limit: int = 100) -> int:
    """End conversations that waited longer than the TTL with outcome ``abandoned``."""
    now = runtime.now()
    async with runtime.storage.read() as tx:
        stale = await tx.idle_conversations(now.timestamp() - runtime.settings.conversation_ttl,
                                            limit)
    for conversation_id in stale:
        async with runtime.storage.transaction() as tx:
            row = await tx.conversation(conversation_id, lock=True)
            if row is None or row.status == "ended":
                continue
            state: dict[str, Any] = dict(row.state)
            state.update(status="ended", waiting_for=None, outcome="abandoned", input_id=None,
                         expires_at=None, pending=None)
            row.state, row.status, row.waiting_for, row.outcome = state, "ended", None, "abandoned"
            row.version += 1
            row.updated_at = rfc3339(now)
            event = new_event(row, row.updated_at, "status", "system",
                              {"status": "ended", "waiting_for": None, "outcome": "abandoned"})
            await tx.add_events([event])
            await tx.save_conversation(row, now.timestamp())
            await tx.set_timer(row.id, None, None)
        runtime.notifier.notify(conversation_id)
    return len(stale)
