"""The rows the runtime stores, as typed records (no raw rows leave the storage layer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Revision:
    project: str
    number: int
    hash: str
    flows: dict[str, str]  # flow id -> content hash
    message: str
    source: dict[str, Any]
    published_at: str
    files: dict[str, str] | None = None  # loaded only when asked for


@dataclass(frozen=True)
class ProjectState:
    project: str
    active_revision: int
    activated_at: str


@dataclass(frozen=True)
class VisitorRow:
    id: str
    project: str


@dataclass
class ConversationRow:
    """A conversation: the engine's state (JSON), the visitor's context and bookkeeping.

    ``version`` grows with every committed change; ``seq`` is the last event's number."""

    id: str
    project: str
    revision: int
    visitor_id: str | None
    token_hash: str
    flow: str
    status: str
    waiting_for: str | None
    state: dict[str, Any]
    context: dict[str, Any]
    version: int = 0
    seq: int = 0
    started_at: str = ""
    updated_at: str = ""
    outcome: str | None = None
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Event:
    """One entry of a conversation's append-only log.

    ``kind``: message | input | status | typing; ``sender``: bot | visitor | agent | system.
    """

    conversation_id: str
    seq: int
    at: str
    kind: str
    sender: str
    body: dict[str, Any]


@dataclass(frozen=True)
class IdempotencyRecord:
    conversation_id: str
    key: str
    request_hash: str
    status: str  # processing | done
    response_status: int
    response: dict[str, Any]
    created_at: float


@dataclass(frozen=True)
class Timer:
    conversation_id: str
    input_id: str
    due_at: float


@dataclass(frozen=True)
class OutboxRow:
    key: str  # the call's idempotency key
    conversation_id: str
    call: dict[str, Any]  # Call.to_json()
    attempt: int  # attempts made so far
    next_at: float
    status: str  # pending | done | failed
    awaited: bool
    response: dict[str, Any] | None = None


@dataclass(frozen=True)
class Handoff:
    conversation_id: str
    project: str
    department: str | None
    priority: str | None
    note: str | None
    status: str  # queued | taken
    queued_at: str
