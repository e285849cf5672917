"""The database schema, as numbered migrations that run on start (``serve --migrate-only``).

One list for both databases: each migration is SQL both SQLite and PostgreSQL accept, or a
mapping ``{"sqlite": ..., "postgres": ...}`` where they differ.  A migration runs in one
transaction with its row in ``schema_migrations``; a process that starts while another
migrates waits for it (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: an advisory lock).  Never
edit a migration that has shipped: add the next one.

Times a worker compares (due, lease, next attempt) are epoch seconds; times people read
are RFC 3339 text.  JSON is stored as text.
"""

from __future__ import annotations

from typing import Union

Migration = Union[str, dict[str, str]]

MIGRATIONS: list[tuple[int, Migration]] = [
    (1, """
CREATE TABLE projects (
    project TEXT PRIMARY KEY,
    active_revision INTEGER NOT NULL,
    activated_at TEXT NOT NULL
);
CREATE TABLE revisions (
    project TEXT NOT NULL,
    number INTEGER NOT NULL,
    hash TEXT NOT NULL,
    files TEXT NOT NULL,
    flows TEXT NOT NULL,
    message TEXT NOT NULL,
    source TEXT NOT NULL,
    published_at TEXT NOT NULL,
    PRIMARY KEY (project, number)
);
CREATE TABLE visitors (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE start_history (
    project TEXT NOT NULL,
    visitor_id TEXT NOT NULL,
    flow TEXT NOT NULL,
    started_at TEXT NOT NULL,
    PRIMARY KEY (project, visitor_id, flow)
);
CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    revision INTEGER NOT NULL,
    visitor_id TEXT,
    token_hash TEXT NOT NULL,
    flow TEXT NOT NULL,
    status TEXT NOT NULL,
    waiting_for TEXT,
    state TEXT NOT NULL,
    context TEXT NOT NULL,
    version INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_epoch DOUBLE PRECISION NOT NULL,
    outcome TEXT,
    tags TEXT NOT NULL
);
CREATE INDEX conversations_open ON conversations (project, visitor_id) WHERE status <> 'ended';
CREATE INDEX conversations_idle ON conversations (updated_epoch) WHERE status <> 'ended';
CREATE TABLE events (
    conversation_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    sender TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE TABLE idempotency (
    conversation_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (conversation_id, key)
);
CREATE TABLE timers (
    conversation_id TEXT PRIMARY KEY,
    input_id TEXT NOT NULL,
    due_at DOUBLE PRECISION NOT NULL,
    lease_until DOUBLE PRECISION NOT NULL
);
CREATE INDEX timers_due ON timers (due_at);
CREATE TABLE outbox (
    key TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    call TEXT NOT NULL,
    awaited INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    next_at DOUBLE PRECISION NOT NULL,
    lease_until DOUBLE PRECISION NOT NULL,
    status TEXT NOT NULL,
    response TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_at) WHERE status = 'pending';
CREATE TABLE presence (
    project TEXT NOT NULL,
    department TEXT NOT NULL,
    online INTEGER NOT NULL,
    PRIMARY KEY (project, department)
);
CREATE TABLE handoffs (
    conversation_id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    department TEXT,
    priority TEXT,
    note TEXT,
    status TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    queued_epoch DOUBLE PRECISION NOT NULL
);
"""),
]

LATEST = MIGRATIONS[-1][0]


def statements(migration: Migration, dialect: str) -> list[str]:
    """The SQL statements of one migration for ``dialect`` (``sqlite`` or ``postgres``)."""
    text = migration[dialect] if isinstance(migration, dict) else migration
    return [part.strip() for part in text.split(";") if part.strip()]
