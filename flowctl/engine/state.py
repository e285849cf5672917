"""The conversation state: everything needed to resume a flow, as JSON-serialisable data.

The interpreter mutates a copy during one step and returns it; :meth:`to_dict` and
:meth:`from_dict` move it between processes (the runtime stores it with each message).
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from typing import Any

RUNNING = "running"
WAITING = "waiting"
ENDED = "ended"


@dataclass
class Conversation:
    flow: str
    block: str | None = None  # the block being run or waited at
    status: str = RUNNING
    waiting_for: str | None = None  # answer | form | ai
    waiting_since: str | None = None  # ISO time the wait began (for timeouts)
    attempts: int = 0  # invalid answers at the current question
    turns: int = 0  # assistant turns at the current ai block
    variables: dict[str, Any] = field(default_factory=dict)
    visitor: dict[str, Any] = field(default_factory=dict)  # profile fields set by forms
    tags: list[str] = field(default_factory=list)
    path: list[str] = field(default_factory=list)  # blocks entered, in order (all flows)
    edges: list[str] = field(default_factory=list)  # edge keys taken (see model.graph.Edge.key)
    flows: list[str] = field(default_factory=list)  # flows run, in order (goto adds)
    outcome: str | None = None  # the conversation's last outcome
    outcomes: list[list[str]] = field(default_factory=list)  # [flow, outcome] per flow run
    department: str | None = None
    agent_note: str | None = None
    failures: list[dict[str, Any]] = field(default_factory=list)  # endpoint calls that failed
    messages: int = 0  # visitor messages so far
    assistant_log: list[dict[str, str]] = field(default_factory=list)  # last turns with the AI

    @property
    def ended(self) -> bool:
        return self.status == ENDED

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Conversation:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: copy.deepcopy(v) for k, v in data.items() if k in known})

    def copy(self) -> Conversation:
        return Conversation.from_dict(self.to_dict())
