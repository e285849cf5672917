"""The storage suite, run on SQLite and on PostgreSQL: the same queries, the same answers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from flowctl.server.storage import Storage, open_storage
from flowctl.server.storage.migrations import LATEST
from flowctl.server.storage.records import (
    ConversationRow,
    Event,
    Handoff,
    IdempotencyRecord,
    OutboxRow,
    Revision,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
async def storage(database: str) -> AsyncIterator[Storage]:
    opened = await open_storage(database)
    assert await opened.migrate() == [LATEST]
    assert await opened.migrate() == []  # migrations run once
    try:
        yield opened
    finally:
        await opened.close()


def conversation(cid: str = "c1", visitor: str | None = "v1") -> ConversationRow:
    return ConversationRow(cid, "p", 1, visitor, "hash-" + cid, "f", "waiting", "answer",
                           {"flow": "f", "messages": 2}, {"page": {"url": "https://x"}}, 1, 0,
                           "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z")


async def test_schema_version_and_revisions(storage: Storage) -> None:
    assert await storage.schema_version() == LATEST
    async with storage.transaction() as tx:
        assert await tx.last_revision_number("p") == 0
        for number in (1, 2):
            await tx.add_revision(Revision("p", number, f"sha256:{number}", {"a": "h"}, "m",
                                           {"commit": "abc"}, "2026", {"flowctl.yaml": "x"}))
        await tx.activate("p", 2, "t2")
    async with storage.read() as tx:
        assert (await tx.project("p")).active_revision == 2  # type: ignore[union-attr]
        assert [r.number for r in await tx.revisions("p")] == [2, 1]
        assert (await tx.revision("p", 1, files=True)).files == {"flowctl.yaml": "x"}  # type: ignore[union-attr]
        assert (await tx.revision("p", 1)).files is None  # type: ignore[union-attr]
        assert await tx.revision("p", 9) is None


async def test_a_failing_transaction_leaves_nothing(storage: Storage) -> None:
    with pytest.raises(RuntimeError):
        async with storage.transaction() as tx:
            await tx.add_conversation(conversation(), 1.0)
            raise RuntimeError("boom")
    async with storage.read() as tx:
        assert await tx.conversation("c1") is None



async def test_a_write_the_database_refuses_rolls_back_the_whole_transaction(
        storage: Storage) -> None:
    await _write(storage, "c1")
    with pytest.raises(Exception) as refused:  # the driver's own error (a duplicate key)
        async with storage.transaction() as tx:
            await tx.add_conversation(conversation("c2", visitor=None), 1.0)
            await tx.add_conversation(conversation("c1", visitor=None), 1.0)  # taken
    assert not isinstance(refused.value, AssertionError)
    for _ in range(3):  # the connections are usable afterwards
        async with storage.read() as tx:
            assert await tx.conversation("c2") is None
            assert await tx.conversation("c1") is not None
    await _write(storage, "c3")
    async with storage.read() as tx:
        assert await tx.conversation("c3") is not None

async def test_conversations_events_and_start_history(storage: Storage) -> None:
    async with storage.transaction() as tx:
        await tx.add_conversation(conversation(), 1.0)
        await tx.add_visitor("v1", "p", "vh", "t")
        await tx.record_start("p", "v1", "f", "t")
        await tx.record_start("p", "v1", "f", "t")  # once
        await tx.add_events([Event("c1", n, "t", "message", "bot", {"n": n}) for n in (1, 2, 3)])
    async with storage.transaction() as tx:
        row = await tx.conversation("c1", lock=True)
        assert row is not None and row.state["messages"] == 2
        row.status, row.seq, row.version, row.tags = "ended", 3, 2, ["x"]
        await tx.save_conversation(row, 2.0)
    async with storage.read() as tx:
        assert (await tx.visitor_by_token("p", "vh")).id == "v1"  # type: ignore[union-attr]
        assert await tx.visitor_by_token("other", "vh") is None
        assert await tx.started_flows("p", "v1") == {"f"}
        assert await tx.open_conversation("p", "v1") is None  # it ended
        assert (await tx.last_conversation("p", "v1")).tags == ["x"]  # type: ignore[union-attr]
        assert [e.seq for e in await tx.events("c1", 1)] == [2, 3]
        assert await tx.events("c1", 0, kind="status") == []
        assert await tx.count_conversations() == 1


async def test_idempotency_records_upsert(storage: Storage) -> None:
    record = IdempotencyRecord("c1", "k", "h", "processing", 200, {"a": 1}, 5.0)
    async with storage.transaction() as tx:
        await tx.put_idempotency(record)
        await tx.put_idempotency(IdempotencyRecord("c1", "k", "h", "done", 200, {"a": 2}, 9.0))
    async with storage.read() as tx:
        found = await tx.idempotency("c1", "k")
    assert found is not None and (found.status, found.response, found.created_at) == \
        ("done", {"a": 2}, 5.0)


async def test_a_message_reads_its_conversation_locked_and_then_its_key(storage: Storage) -> None:
    record = IdempotencyRecord("c1", "k", "h", "done", 200, {"a": 1}, 5.0)
    async with storage.transaction() as tx:
        await tx.add_conversation(conversation("c1", visitor=None), 1.0)
        await tx.add_conversation(conversation("c2", visitor=None), 1.0)
        await tx.put_idempotency(record)  # pending writes go first, in order
        assert await tx.conversation_for_message("c1", "k") == (conversation("c1", None), record)
        assert await tx.conversation_for_message("c1", "other") == (conversation("c1", None), None)
        assert await tx.conversation_for_message("c2", "k") == (conversation("c2", None), None)
        assert await tx.conversation_for_message("c9", "k") == (None, None)


async def test_timers_are_claimed_once_until_their_lease_ends(storage: Storage) -> None:
    async with storage.transaction() as tx:
        await tx.set_timer("c1", "ask@1", 10.0)
        await tx.set_timer("c2", "ask@1", 50.0)
    async with storage.transaction() as tx:
        first = await tx.claim_timers(20.0, 30.0, 10)
    async with storage.transaction() as tx:
        again = await tx.claim_timers(25.0, 35.0, 10)
    async with storage.transaction() as tx:
        after_lease = await tx.claim_timers(31.0, 61.0, 10)
    assert [t.conversation_id for t in first] == ["c1"] and again == []
    assert [t.conversation_id for t in after_lease] == ["c1"]
    async with storage.transaction() as tx:
        await tx.set_timer("c1", None, None)
        assert await tx.next_timer() == 50.0


async def test_outbox_rows_are_claimed_once_and_keep_their_key(storage: Storage) -> None:
    async with storage.transaction() as tx:
        await tx.add_outbox(OutboxRow("c1:push:1", "c1", {"key": "c1:push:1"}, 0, 0.0, "pending",
                                      True), "t")
        await tx.add_outbox(OutboxRow("c1:push:1", "c1", {"key": "dup"}, 0, 0.0, "pending",
                                      True), "t")  # the same key: kept as it was
    async with storage.transaction() as tx:
        claimed = await tx.claim_outbox(1.0, 31.0, 10)
    async with storage.transaction() as tx:
        assert await tx.claim_outbox(2.0, 32.0, 10) == []
        await tx.update_outbox("c1:push:1", attempt=1, next_at=40.0, status="pending",
                               response={"status": 503}, at="t")
    assert [row.call for row in claimed] == [{"key": "c1:push:1"}]
    async with storage.transaction() as tx:
        assert await tx.claim_outbox(39.0, 69.0, 10) == []  # not due before its next attempt
        due = await tx.claim_outbox(41.0, 71.0, 10, key="c1:push:1")
        await tx.update_outbox("c1:push:1", attempt=2, next_at=0.0, status="done",
                               response={"status": 200}, at="t")
        assert await tx.pending_outbox() == 0
    assert [row.attempt for row in due] == [1]
    async with storage.read() as tx:
        row = await tx.outbox("c1:push:1")
    assert row is not None and row.status == "done" and row.response == {"status": 200}


async def test_presence_and_handoffs(storage: Storage) -> None:
    async with storage.transaction() as tx:
        await tx.set_presence("p", {"sales": 2, "support": 0})
        await tx.set_presence("p", {"sales": 1})
        await tx.add_handoff(Handoff("c1", "p", "sales", "high", "VIP", "queued", "t1"), 10.0)
        await tx.add_handoff(Handoff("c2", "p", None, None, None, "queued", "t2"), 20.0)
    async with storage.read() as tx:
        assert await tx.presence("p") == {"sales": 1, "support": 0}
        queued = await tx.handoffs("p", "queued")
        assert [h.conversation_id for h, _ in queued] == ["c1", "c2"]
        assert await tx.handoffs("p", "taken") == []


# -- concurrent transactions (SQLite commits the ones that queue together) ---------------------


async def _write(storage: Storage, cid: str, fail: bool = False, lock: str | None = None) -> None:
    async with storage.transaction() as tx:
        if lock is not None:
            await tx.conversation(lock, lock=True)
        await tx.add_conversation(conversation(cid, visitor=None), 1.0)
        if fail:
            raise RuntimeError(f"{cid} fails")


async def test_queued_transactions_commit_each_and_a_failing_one_alone_rolls_back(
        storage: Storage) -> None:
    names = [f"c{i}" for i in range(40)]
    results = await asyncio.gather(*(_write(storage, n, fail=n in ("c7", "c39")) for n in names),
                                   return_exceptions=True)
    failed = {n for n, r in zip(names, results, strict=True) if isinstance(r, RuntimeError)}
    assert failed == {"c7", "c39"}  # the last of the queue failing still commits the others
    async with storage.read() as tx:
        stored = {n for n in names if await tx.conversation(n) is not None}
    assert stored == set(names) - failed


async def test_a_reader_sees_a_transaction_only_once_it_has_committed(storage: Storage) -> None:
    async with storage.transaction() as tx:
        await tx.add_conversation(conversation("c1"), 1.0)
        async with storage.read() as reader:
            assert await reader.conversation("c1") is None
    async with storage.read() as reader:
        assert await reader.conversation("c1") is not None


async def test_a_transaction_cancelled_while_queued_leaves_the_others_committed(
        storage: Storage) -> None:
    await _write(storage, "c0")
    inside, leave = asyncio.Event(), asyncio.Event()
    queued: list[asyncio.Task[None]] = []

    async def holder() -> None:  # c2 queues behind it (for the lock of c0's row on PostgreSQL)
        async with storage.transaction() as tx:
            await tx.conversation("c0", lock=True)
            await tx.add_conversation(conversation("c1", visitor=None), 1.0)
            inside.set()
            await leave.wait()
            # c2 is cancelled just as this transaction hands it the lock
            asyncio.get_running_loop().call_soon(queued[0].cancel)

    first = asyncio.create_task(holder())
    await inside.wait()
    queued.append(asyncio.create_task(_write(storage, "c2", lock="c0")))
    await asyncio.sleep(0.05)  # c2 waits
    leave.set()
    await asyncio.wait_for(first, 10)  # committed although the one after it left
    with contextlib.suppress(asyncio.CancelledError):
        await queued[0]
    await asyncio.wait_for(_write(storage, "c3"), 10)
    async with storage.read() as tx:
        assert await tx.conversation("c1") is not None
        assert await tx.conversation("c2") is None
        assert await tx.conversation("c3") is not None
