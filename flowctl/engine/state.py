"""The stored conversation: everything needed to resume a flow, and nothing that grows.

A host keeps one :class:`Conversation` per conversation and hands it back with the next
input; :meth:`Conversation.to_json` / :meth:`Conversation.from_json` move it through
storage.  What grows with every block entered (the path, the edges taken, the flows run,
failed calls) is not here: it comes back in each :class:`~flowctl.engine.effects.Step`'s
log, and a host that wants it keeps it (the simulator for coverage, the server in its
event log).  Every field is bounded: ``visits`` by the project's data blocks,
``assistant_log`` by :data:`ASSISTANT_HISTORY`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import Any

#: Bumped when the stored shape changes; :meth:`Conversation.from_json` reads older ones.
SCHEMA_VERSION = 1

#: Turns of the conversation with the assistant kept in the state and passed to it.
ASSISTANT_HISTORY = 20


class Status(StrEnum):
    RUNNING = "running"
    WAITING = "waiting"
    ENDED = "ended"


class WaitingFor(StrEnum):
    """What a waiting conversation needs next."""

    ANSWER = "answer"  # a reply to a question
    FORM = "form"  # the submitted form
    AI = "ai"  # a message for the assistant
    RESPONSE = "response"  # the result of an outgoing call (the host performs it)


# Kept for code that compares with plain strings (StrEnum members equal their values).
RUNNING, WAITING, ENDED = Status.RUNNING, Status.WAITING, Status.ENDED


class StateError(ValueError):
    """A stored conversation that cannot be read (unknown schema, wrong shape)."""


@dataclass
class Conversation:
    flow: str
    id: str = ""
    schema: int = SCHEMA_VERSION
    seq: int = 0  # steps applied so far
    block: str | None = None  # the block being run or waited at
    status: Status = Status.RUNNING
    waiting_for: WaitingFor | None = None
    input_id: str | None = None  # names the input awaited now; a new ask, a new id
    waiting_since: str | None = None  # ISO time the bot last asked (silence counts from it)
    expires_at: str | None = None  # ISO time the waiting block's timeout fires
    attempts: int = 0  # invalid answers at the current question
    turns: int = 0  # assistant turns at the current ai block
    variables: dict[str, Any] = field(default_factory=dict)
    visitor: dict[str, Any] = field(default_factory=dict)  # profile fields set by forms
    tags: list[str] = field(default_factory=list)
    outcome: str | None = None  # the last outcome (goto:<flow> while the next flow runs)
    department: str | None = None
    agent_note: str | None = None
    messages: int = 0  # visitor messages so far
    flows_run: int = 0  # flows entered (goto counts), bounded by MAX_GOTO
    visits: dict[str, int] = field(default_factory=dict)  # data blocks entered, by block id
    pending: dict[str, Any] | None = None  # the call awaited (Call.to_json())
    assistant_log: list[dict[str, str]] = field(default_factory=list)  # last turns with the AI

    @property
    def ended(self) -> bool:
        return self.status == Status.ENDED

    @property
    def waiting(self) -> bool:
        return self.status == Status.WAITING

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (enums as their strings), safe to store and to mutate."""
        data = {name: getattr(self, name) for name in _FIELDS}
        for name in _CONTAINERS:
            data[name] = _copy(data[name])
        data["status"] = str(self.status)
        data["waiting_for"] = str(self.waiting_for) if self.waiting_for is not None else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Conversation:
        """Read a stored conversation; raises :class:`StateError` for one it cannot read."""
        if not isinstance(data, dict) or not isinstance(data.get("flow"), str):
            raise StateError("a stored conversation is a JSON object with a 'flow'")
        schema = data.get("schema", SCHEMA_VERSION)
        if not isinstance(schema, int) or schema > SCHEMA_VERSION:
            raise StateError(f"conversation schema {schema!r} is newer than this engine "
                             f"({SCHEMA_VERSION}): upgrade flowctl")
        values = {k: v for k, v in data.items() if k in _KNOWN}
        for name in _CONTAINERS:
            if name in values:
                values[name] = _copy(values[name])
        try:
            values["status"] = Status(values.get("status", Status.RUNNING))
            waiting = values.get("waiting_for")
            values["waiting_for"] = WaitingFor(waiting) if waiting is not None else None
        except ValueError as error:
            raise StateError(f"stored conversation: {error}") from None
        values["schema"] = SCHEMA_VERSION
        return cls(**values)

    def copy(self) -> Conversation:
        """An independent copy (nothing mutable shared)."""
        new = replace(self)
        for name in _CONTAINERS:
            setattr(new, name, _copy(getattr(self, name)))
        return new


_FIELDS = tuple(f.name for f in fields(Conversation))
_KNOWN = frozenset(_FIELDS)
#: The fields that hold dicts or lists (the rest are strings, numbers, enums and None).
_CONTAINERS = tuple(f.name for f in fields(Conversation)
                    if str(f.type).startswith(("dict", "list")))


def _copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, scalars): what the state holds."""
    kind = type(value)
    if kind is dict:
        return {key: _copy(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [_copy(item) for item in value]
    if isinstance(value, dict):  # a dict subclass
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(item) for item in value]
    return value
