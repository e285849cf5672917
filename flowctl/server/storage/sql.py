"""The runtime's queries, written once for SQLite and PostgreSQL.

A :class:`Tx` is one unit of work handed out by ``Storage.transaction()`` (committed when the
block ends, rolled back when it raises) or ``Storage.read()``.  SQL here uses ``?``
placeholders; the PostgreSQL cursor turns them into ``%s``.  The two places the databases
differ are the dialect's ``lock`` (``FOR UPDATE``: a conversation's turns are applied one at
a time across processes) and ``claim`` (``FOR UPDATE SKIP LOCKED``: a due timer or outbox row
goes to one worker); SQLite gets both from ``BEGIN IMMEDIATE``, which serialises writers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from flowctl.server.storage.records import (
    ConversationRow,
    Event,
    Handoff,
    IdempotencyRecord,
    OutboxRow,
    ProjectState,
    Revision,
    Timer,
    VisitorRow,
)


class Cursor(Protocol):
    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...
    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None: ...
    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...
    async def fetchsets(self, statements: Sequence[tuple[str, Sequence[Any]]],
                        ) -> list[list[tuple[Any, ...]]]: ...


@dataclass(frozen=True)
class Dialect:
    name: str
    lock: str  # appended to a SELECT that locks the rows it reads
    claim: str  # appended to a SELECT of due work rows


SQLITE = Dialect("sqlite", "", "")
POSTGRES = Dialect("postgres", " FOR UPDATE", " FOR UPDATE SKIP LOCKED")

_CONVERSATION = ("id, project, revision, visitor_id, token_hash, flow, status, waiting_for, "
                 "state, context, version, seq, started_at, updated_at, outcome, tags")


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def _dumps(value: Any) -> str:
    return _ENCODER.encode(value)


_IDEMPOTENCY = ("SELECT conversation_id, key, request_hash, status, response_status, response, "
                "created_at FROM idempotency WHERE conversation_id = ? AND key = ?")


def _idempotency(row: tuple[Any, ...]) -> IdempotencyRecord:
    return IdempotencyRecord(row[0], row[1], row[2], row[3], int(row[4]), json.loads(row[5]),
                             float(row[6]))


def _conversation(row: tuple[Any, ...]) -> ConversationRow:
    (cid, project, revision, visitor, token, flow, status, waiting, state, context, version,
     seq, started, updated, outcome, tags) = row
    return ConversationRow(cid, project, int(revision), visitor, token, flow, status, waiting,
                           json.loads(state), json.loads(context), int(version), int(seq),
                           started, updated, outcome, json.loads(tags))


#: Events written by one INSERT at most (6 parameters each, far below SQLite's limit).
_EVENTS_PER_INSERT = 500


class Tx:
    def __init__(self, cursor: Cursor, dialect: Dialect) -> None:
        self.cursor = cursor
        self.dialect = dialect

    # -- projects and revisions ---------------------------------------------------------------

    async def project(self, project: str) -> ProjectState | None:
        row = await self.cursor.fetchone(
            "SELECT project, active_revision, activated_at FROM projects WHERE project = ?"
            + self.dialect.lock, (project,))
        return ProjectState(row[0], int(row[1]), row[2]) if row else None

    async def revision(self, project: str, number: int, *, files: bool = False) -> Revision | None:
        row = await self.cursor.fetchone(
            "SELECT project, number, hash, flows, message, source, published_at"
            + (", files" if files else "") + " FROM revisions WHERE project = ? AND number = ?",
            (project, number))
        if row is None:
            return None
        return Revision(row[0], int(row[1]), row[2], json.loads(row[3]), row[4], json.loads(row[5]),
                        row[6], json.loads(row[7]) if files else None)

    async def revisions(self, project: str) -> list[Revision]:
        rows = await self.cursor.fetchall(
            "SELECT project, number, hash, flows, message, source, published_at FROM revisions "
            "WHERE project = ? ORDER BY number DESC", (project,))
        return [Revision(r[0], int(r[1]), r[2], json.loads(r[3]), r[4], json.loads(r[5]), r[6])
                for r in rows]

    async def add_revision(self, revision: Revision) -> None:
        await self.cursor.execute(
            "INSERT INTO revisions (project, number, hash, files, flows, message, source, "
            "published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (revision.project, revision.number, revision.hash, _dumps(revision.files or {}),
             _dumps(revision.flows), revision.message, _dumps(revision.source),
             revision.published_at))

    async def activate(self, project: str, number: int, at: str) -> None:
        await self.cursor.execute(
            "INSERT INTO projects (project, active_revision, activated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (project) DO UPDATE SET active_revision = excluded.active_revision, "
            "activated_at = excluded.activated_at", (project, number, at))

    async def last_revision_number(self, project: str) -> int:
        row = await self.cursor.fetchone(
            "SELECT COALESCE(MAX(number), 0) FROM revisions WHERE project = ?", (project,))
        return int(row[0]) if row else 0

    # -- visitors ---------------------------------------------------------------------------------

    async def add_visitor(self, visitor_id: str, project: str, token_hash: str, at: str) -> None:
        await self.cursor.execute(
            "INSERT INTO visitors (id, project, token_hash, created_at) VALUES (?, ?, ?, ?)",
            (visitor_id, project, token_hash, at))

    async def visitor_by_token(self, project: str, token_hash: str) -> VisitorRow | None:
        row = await self.cursor.fetchone(
            "SELECT id, project FROM visitors WHERE token_hash = ? AND project = ?",
            (token_hash, project))
        return VisitorRow(row[0], row[1]) if row else None

    async def started_flows(self, project: str, visitor_id: str) -> set[str]:
        rows = await self.cursor.fetchall(
            "SELECT flow FROM start_history WHERE project = ? AND visitor_id = ?",
            (project, visitor_id))
        return {r[0] for r in rows}

    async def record_start(self, project: str, visitor_id: str, flow: str, at: str) -> None:
        await self.cursor.execute(
            "INSERT INTO start_history (project, visitor_id, flow, started_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (project, visitor_id, flow) DO NOTHING", (project, visitor_id, flow, at))

    async def last_conversation(self, project: str, visitor_id: str) -> ConversationRow | None:
        """The visitor's most recent conversation in the project, open or ended."""
        row = await self.cursor.fetchone(
            f"SELECT {_CONVERSATION} FROM conversations WHERE project = ? AND visitor_id = ? "
            "ORDER BY started_at DESC LIMIT 1", (project, visitor_id))
        return _conversation(row) if row else None

    async def open_conversation(self, project: str, visitor_id: str) -> str | None:
        """The visitor's open conversation, if any.  In a transaction, the visitor's row stays
        locked until it ends, so two events of one visitor handled at once (by two processes)
        start at most one conversation."""
        await self.cursor.fetchone("SELECT id FROM visitors WHERE id = ?" + self.dialect.lock,
                                   (visitor_id,))
        row = await self.cursor.fetchone(
            "SELECT id FROM conversations WHERE project = ? AND visitor_id = ? AND status <> 'ended' "
            "ORDER BY started_at DESC LIMIT 1", (project, visitor_id))
        return row[0] if row else None

    # -- conversations ----------------------------------------------------------------------------

    async def add_conversation(self, row: ConversationRow, epoch: float) -> None:
        await self.cursor.execute(
            f"INSERT INTO conversations ({_CONVERSATION}, updated_epoch) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row.id, row.project, row.revision, row.visitor_id, row.token_hash, row.flow,
             row.status, row.waiting_for, _dumps(row.state), _dumps(row.context), row.version,
             row.seq, row.started_at, row.updated_at, row.outcome, _dumps(row.tags), epoch))

    async def conversation(self, conversation_id: str, *, lock: bool = False) -> ConversationRow | None:
        row = await self.cursor.fetchone(
            f"SELECT {_CONVERSATION} FROM conversations WHERE id = ?"
            + (self.dialect.lock if lock else ""), (conversation_id,))
        return _conversation(row) if row else None

    async def save_conversation(self, row: ConversationRow, epoch: float) -> None:
        """Write back a conversation read with ``lock=True`` in this transaction."""
        await self.cursor.execute(
            "UPDATE conversations SET status = ?, waiting_for = ?, state = ?, version = ?, seq = ?, "
            "updated_at = ?, updated_epoch = ?, outcome = ?, tags = ?, flow = ? WHERE id = ?",
            (row.status, row.waiting_for, _dumps(row.state), row.version, row.seq, row.updated_at,
             epoch, row.outcome, _dumps(row.tags), row.flow, row.id))

    async def idle_conversations(self, before: float, limit: int) -> list[str]:
        rows = await self.cursor.fetchall(
            "SELECT id FROM conversations WHERE status <> 'ended' AND updated_epoch < ? "
            "ORDER BY updated_epoch LIMIT ?", (before, limit))
        return [r[0] for r in rows]

    async def count_conversations(self) -> int:
        row = await self.cursor.fetchone("SELECT COUNT(*) FROM conversations")
        return int(row[0]) if row else 0

    # -- events -----------------------------------------------------------------------------------

    async def add_events(self, events: Sequence[Event]) -> None:
        """One INSERT of many rows (not one per event: a round trip each on PostgreSQL)."""
        for start in range(0, len(events), _EVENTS_PER_INSERT):
            chunk = events[start:start + _EVENTS_PER_INSERT]
            await self.cursor.execute(
                "INSERT INTO events (conversation_id, seq, at, kind, sender, body) VALUES "
                + ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(chunk)),
                [value for e in chunk
                 for value in (e.conversation_id, e.seq, e.at, e.kind, e.sender, _dumps(e.body))])

    async def events(self, conversation_id: str, after: int = 0, limit: int = 1000,
                     kind: str | None = None) -> list[Event]:
        sql = ("SELECT conversation_id, seq, at, kind, sender, body FROM events "
               "WHERE conversation_id = ? AND seq > ?")
        params: list[Any] = [conversation_id, after]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        rows = await self.cursor.fetchall(sql + " ORDER BY seq LIMIT ?", (*params, limit))
        return [Event(r[0], int(r[1]), r[2], r[3], r[4], json.loads(r[5])) for r in rows]

    # -- idempotency ------------------------------------------------------------------------------

    async def idempotency(self, conversation_id: str, key: str) -> IdempotencyRecord | None:
        row = await self.cursor.fetchone(_IDEMPOTENCY, (conversation_id, key))
        return _idempotency(row) if row else None

    async def conversation_for_message(self, conversation_id: str, key: str,
                                       ) -> tuple[ConversationRow | None, IdempotencyRecord | None]:
        """The conversation, locked, then the record of ``key`` for it: two statements in one
        round trip.  Two, not one joined: on PostgreSQL a statement that waited for the lock
        keeps the snapshot it started with, and would miss the record the lock's holder just
        committed (the same key sent to two processes at once, applied twice)."""
        conversations, records = await self.cursor.fetchsets([
            (f"SELECT {_CONVERSATION} FROM conversations WHERE id = ?" + self.dialect.lock,
             (conversation_id,)),
            (_IDEMPOTENCY, (conversation_id, key))])
        if not conversations:
            return None, None
        return _conversation(conversations[0]), _idempotency(records[0]) if records else None

    async def put_idempotency(self, record: IdempotencyRecord) -> None:
        await self.cursor.execute(
            "INSERT INTO idempotency (conversation_id, key, request_hash, status, response_status, "
            "response, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (conversation_id, key) "
            "DO UPDATE SET status = excluded.status, response_status = excluded.response_status, "
            "response = excluded.response",
            (record.conversation_id, record.key, record.request_hash, record.status,
             record.response_status, _dumps(record.response), record.created_at))

    # -- timers -----------------------------------------------------------------------------------

    async def set_timer(self, conversation_id: str, input_id: str | None, due_at: float | None) -> None:
        """The conversation's one timer: set it, or clear it with ``due_at=None``."""
        if due_at is None or input_id is None:
            await self.cursor.execute("DELETE FROM timers WHERE conversation_id = ?",
                                      (conversation_id,))
            return
        await self.cursor.execute(
            "INSERT INTO timers (conversation_id, input_id, due_at, lease_until) VALUES (?, ?, ?, 0) "
            "ON CONFLICT (conversation_id) DO UPDATE SET input_id = excluded.input_id, "
            "due_at = excluded.due_at, lease_until = 0", (conversation_id, input_id, due_at))

    async def claim_timers(self, now: float, lease_until: float, limit: int) -> list[Timer]:
        """Due timers no other worker holds, leased to this one until ``lease_until``."""
        rows = await self.cursor.fetchall(
            "SELECT conversation_id, input_id, due_at FROM timers WHERE due_at <= ? AND "
            "lease_until <= ? ORDER BY due_at LIMIT ?" + self.dialect.claim, (now, now, limit))
        for row in rows:
            await self.cursor.execute("UPDATE timers SET lease_until = ? WHERE conversation_id = ?",
                                      (lease_until, row[0]))
        return [Timer(r[0], r[1], float(r[2])) for r in rows]

    async def next_timer(self) -> float | None:
        row = await self.cursor.fetchone("SELECT MIN(due_at) FROM timers")
        return float(row[0]) if row and row[0] is not None else None

    # -- outbox -----------------------------------------------------------------------------------

    async def add_outbox(self, row: OutboxRow, at: str) -> None:
        await self.cursor.execute(
            "INSERT INTO outbox (key, conversation_id, call, awaited, attempt, next_at, lease_until, "
            "status, response, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, NULL, ?) "
            "ON CONFLICT (key) DO NOTHING",
            (row.key, row.conversation_id, _dumps(row.call), int(row.awaited), row.attempt,
             row.next_at, row.status, at))

    async def claim_outbox(self, now: float, lease_until: float, limit: int,
                           key: str | None = None) -> list[OutboxRow]:
        """Due pending calls (or the one named ``key``) that no worker holds, leased to this one."""
        sql = ("SELECT key, conversation_id, call, attempt, next_at, status, awaited FROM outbox "
               "WHERE status = 'pending' AND next_at <= ? AND lease_until <= ?")
        params: list[Any] = [now, now]
        if key is not None:
            sql += " AND key = ?"
            params.append(key)
        rows = await self.cursor.fetchall(sql + " ORDER BY next_at LIMIT ?" + self.dialect.claim,
                                          (*params, limit))
        for row in rows:
            await self.cursor.execute("UPDATE outbox SET lease_until = ? WHERE key = ?",
                                      (lease_until, row[0]))
        return [OutboxRow(r[0], r[1], json.loads(r[2]), int(r[3]), float(r[4]), r[5], bool(r[6]))
                for r in rows]

    async def extend_outbox_lease(self, key: str, until: float) -> None:
        await self.cursor.execute("UPDATE outbox SET lease_until = ? WHERE key = ? AND "
                                  "lease_until < ?", (until, key, until))

    async def outbox(self, key: str) -> OutboxRow | None:
        row = await self.cursor.fetchone(
            "SELECT key, conversation_id, call, attempt, next_at, status, awaited, response "
            "FROM outbox WHERE key = ?", (key,))
        if row is None:
            return None
        return OutboxRow(row[0], row[1], json.loads(row[2]), int(row[3]), float(row[4]), row[5],
                         bool(row[6]), json.loads(row[7]) if row[7] else None)

    async def update_outbox(self, key: str, *, attempt: int, next_at: float, status: str,
                            response: dict[str, Any] | None, at: str) -> None:
        await self.cursor.execute(
            "UPDATE outbox SET attempt = ?, next_at = ?, status = ?, response = ?, lease_until = 0, "
            "updated_at = ? WHERE key = ?",
            (attempt, next_at, status, _dumps(response) if response is not None else None, at, key))

    async def pending_outbox(self) -> int:
        row = await self.cursor.fetchone("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
        return int(row[0]) if row else 0

    # -- agents and handoffs ----------------------------------------------------------------------

    async def set_presence(self, project: str, departments: dict[str, int]) -> None:
        for department, online in departments.items():
            await self.cursor.execute(
                "INSERT INTO presence (project, department, online) VALUES (?, ?, ?) "
                "ON CONFLICT (project, department) DO UPDATE SET online = excluded.online",
                (project, department, online))

    async def presence(self, project: str) -> dict[str, int]:
        rows = await self.cursor.fetchall(
            "SELECT department, online FROM presence WHERE project = ? ORDER BY department", (project,))
        return {r[0]: int(r[1]) for r in rows}

    async def add_handoff(self, handoff: Handoff, epoch: float) -> None:
        await self.cursor.execute(
            "INSERT INTO handoffs (conversation_id, project, department, priority, note, status, "
            "queued_at, queued_epoch) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (conversation_id) DO NOTHING",
            (handoff.conversation_id, handoff.project, handoff.department, handoff.priority,
             handoff.note, handoff.status, handoff.queued_at, epoch))

    async def handoffs(self, project: str, status: str | None) -> list[tuple[Handoff, float]]:
        sql = ("SELECT conversation_id, project, department, priority, note, status, queued_at, "
               "queued_epoch FROM handoffs WHERE project = ?")
        params: list[Any] = [project]
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        rows = await self.cursor.fetchall(sql + " ORDER BY queued_epoch", params)
        return [(Handoff(*r[:7]), float(r[7])) for r in rows]
